// How deeply a parsed JSON value nests, measured without recursion: a hostile body of 20,000
// nested arrays parses fine but would overflow the stack of any recursive walk that follows.
export const MAX_JSON_DEPTH = 32

export function exceedsDepth(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (current === null || typeof current !== 'object') continue
    if (depth > limit) return true
    for (const inner of Array.isArray(current) ? current : Object.values(current)) stack.push([inner, depth + 1])
  }
  return false
}
