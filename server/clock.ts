// Time and randomness are passed in, so retry timing and jitter are tested without sleeping.
export interface Clock {
  now(): number
}
export const systemClock: Clock = { now: () => Date.now() }

export type Random = () => number

/** A clock tests can move by hand. */
export function manualClock(start = Date.UTC(2026, 10, 28, 12, 0, 0)): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance(ms: number) { t += ms },
    set(ms: number) { t = ms },
  }
}
