// Small numeric helpers shared by every process of the harness. Times are epoch milliseconds with
// sub-millisecond precision (performance.timeOrigin + performance.now()), so a t0 stamped in the
// generator and an arrival stamped in the receiver can be subtracted across processes.
import { performance } from 'node:perf_hooks'

export const nowMs = (): number => performance.timeOrigin + performance.now()

export interface Summary {
  n: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** Percentiles by nearest rank on a sorted copy; null when there are no samples. */
export function summarize(samples: number[]): Summary | null {
  if (samples.length === 0) return null
  const s = Float64Array.from(samples).sort()
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
  let sum = 0
  for (const v of s) sum += v
  return { n: s.length, p50: r2(at(0.5)), p90: r2(at(0.9)), p99: r2(at(0.99)), max: r2(s[s.length - 1]!), mean: r2(sum / s.length) }
}

export const r2 = (v: number): number => Math.round(v * 100) / 100
export const r0 = (v: number): number => Math.round(v)

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms))

/** Polls until check() is truthy or the deadline passes; returns the last value. */
export async function waitUntil<T>(check: () => Promise<T> | T, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let v = await check()
  while (!v && Date.now() < deadline) {
    await sleep(everyMs)
    v = await check()
  }
  return v
}
