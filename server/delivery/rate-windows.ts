// Per-endpoint rate limits (an endpoint's optional `rate_limit`: deliveries per second or per
// minute), as a sliding window of start times per endpoint. Kept apart from the in-flight caps
// (limiter.ts), which own it: those count sends that are running, this counts sends that started.
// Times are the caller's clock (Date.now() unless a test passes its own), so a window can be
// tested without sleeping.

export interface RateLimit {
  per: 'second' | 'minute'
  max: number
}

const WINDOW_MS = { second: 1_000, minute: 60_000 } as const

export class RateWindows {
  /** Start times inside the current window, per rate-limited endpoint, oldest first. */
  private readonly starts = new Map<string, { rate: RateLimit; at: number[] }>()

  /** How long until the endpoint's rate limit lets one more start (0: now). */
  waitMs(endpointId: string, rate: RateLimit, nowMs: number): number {
    const list = this.starts.get(endpointId)?.at
    if (!list) return 0
    const windowMs = WINDOW_MS[rate.per]
    while (list.length > 0 && list[0]! <= nowMs - windowMs) list.shift()
    // An endpoint with nothing left in its window is forgotten, so the map holds only
    // endpoints that started something in the last minute.
    if (list.length === 0) this.starts.delete(endpointId)
    return list.length < rate.max ? 0 : list[list.length - rate.max]! + windowMs - nowMs
  }

  /** Endpoints whose rate limit lets nothing more start right now. */
  limited(nowMs: number): string[] {
    return [...this.starts].filter(([id, e]) => this.waitMs(id, e.rate, nowMs) > 0).map(([id]) => id)
  }

  /** A send started: it counts in the endpoint's window from now. */
  record(endpointId: string, rate: RateLimit, nowMs: number): void {
    const entry = this.starts.get(endpointId) ?? { rate, at: [] }
    // The endpoint's limit may have been changed since its last start; the newest one applies.
    entry.rate = rate
    entry.at.push(nowMs)
    this.starts.set(endpointId, entry)
  }
}
