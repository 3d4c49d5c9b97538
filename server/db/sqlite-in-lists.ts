// `in (?, ?, …)` lists widened to a few lengths, so SQLite compiles a few texts, not one per length.
//
// Why: the claims, their reads of endpoints and events, and the acks name their rows in `in` lists
// whose length is the batch's: every length from 1 to 200 is its own text, compiled and kept by the
// statement cache (sqlite-statements.ts). SQLite's compiled `in` list costs ~300 bytes a placeholder
// (measured: 260 such statements of 1…130 ids held 4.9 MB), outside V8's heap. With 1,000 users on
// SQLite the web process compiled ~260 of them while a backlog drained, and the memory SQLite held
// grew from 5.5 to 14.8 MB (glibc's malloc_stats() under gdb); the process peaked at 153–156 MB
// against a budget of 150 (bench/tools/overload.ts, "Many users" in bench/README.md).
//
// How: a list of more than EXACT_UP_TO placeholders is widened to the next power of two, the
// added places bound to the list's last value again. `x in (a, b, b, b)` selects, updates and
// deletes exactly what `x in (a, b)` does. MySQL is not touched: its statements are sent as text
// and nothing is kept per text.

/** Lists up to this long keep their length: eight texts, and no duplicates for small batches. */
export const EXACT_UP_TO = 8
/** Past this many placeholders a list keeps its length (SQLite's limit is 32,766 in a statement). */
const WIDEN_UP_TO = 4_096

/** A statement's text with its lists widened, and where to repeat a value to fill them. */
export interface WidenedText {
  sql: string
  /** Placeholders in the original text: what its parameters must number. */
  expects: number
  /** For each widened list: the index of its last parameter, and how many copies follow it. */
  fills: readonly (readonly [last: number, extra: number])[]
}

// Kysely writes `in` lists as "in (?, ?, ?)"; the `?` count before a list gives its parameters.
const IN_LIST = /\bin \((\?(?:, \?)*)\)/g

/** The next length a list of `n` placeholders is widened to. Pure, for tests. */
export function widenedLength(n: number): number {
  if (n <= EXACT_UP_TO) return n
  const next = 2 ** Math.ceil(Math.log2(n))
  return next <= WIDEN_UP_TO ? next : n
}

/** The text with its `in` lists widened, or null when no list needs it (the text runs as it is). */
export function widenInLists(sql: string): WidenedText | null {
  if (!sql.includes('in (?')) return null
  const fills: [number, number][] = []
  let out = ''
  let from = 0
  let before = 0
  for (const m of sql.matchAll(IN_LIST)) {
    const end = m.index + m[0].length
    before += count(sql, from, m.index)
    const n = (m[1]!.length + 2) / 3
    before += n
    const extra = widenedLength(n) - n
    if (extra > 0) fills.push([before - 1, extra])
    // Up to the list's closing parenthesis, the added places, then the parenthesis.
    out += sql.slice(from, end - 1) + ', ?'.repeat(extra) + ')'
    from = end
  }
  if (fills.length === 0) return null
  return { sql: out + sql.slice(from), expects: before + count(sql, from, sql.length), fills }
}

/** The parameters for the widened text: each filled list's last value repeated. */
export function widenParams(params: readonly unknown[], fills: WidenedText['fills']): unknown[] {
  const out: unknown[] = []
  let next = 0
  for (const [last, extra] of fills) {
    for (; next <= last; next++) out.push(params[next])
    for (let i = 0; i < extra; i++) out.push(params[last])
  }
  for (; next < params.length; next++) out.push(params[next])
  return out
}

function count(sql: string, from: number, to: number): number {
  let n = 0
  for (let i = sql.indexOf('?', from); i !== -1 && i < to; i = sql.indexOf('?', i + 1)) n++
  return n
}
