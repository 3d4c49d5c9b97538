// Waiting on a condition instead of a fixed sleep: fast when the thing happens at once, and a
// clear message naming what never happened when it does not.
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, pollMs = 200) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, pollMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
