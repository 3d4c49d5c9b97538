// Fixed-window request limits per client IP and per signed-in user, kept in memory. A shared host
// runs one process per app, so in-memory counts are the honest unit; with several processes each
// enforces its own share. Over the limit: 429 with Retry-After.
import { createMiddleware } from 'hono/factory'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import { ApiError } from './errors.js'
import type { AppEnv } from './context.js'

const WINDOW_MS = 60_000

export class WindowCounter {
  private counts = new Map<string, { windowStart: number; count: number }>()
  constructor(private readonly limit: number) {}

  /** Counts one hit; returns ms until the window resets when over the limit, else 0. */
  hit(key: string, nowMs: number): number {
    const windowStart = nowMs - (nowMs % WINDOW_MS)
    let entry = this.counts.get(key)
    if (!entry || entry.windowStart !== windowStart) {
      // Drop the previous window's keys now and then so the map cannot grow without bound.
      if (this.counts.size > 10_000) this.counts.clear()
      entry = { windowStart, count: 0 }
      this.counts.set(key, entry)
    }
    entry.count += 1
    return entry.count > this.limit ? windowStart + WINDOW_MS - nowMs : 0
  }
}

/**
 * The client address. X-Forwarded-For is believed only from a proxy on this host (Passenger), and
 * only its last entry: the proxy appends the address it saw at the end, and everything before
 * that was written by the client and proves nothing.
 */
function clientIp(c: Context): string {
  let remote = 'unknown'
  try {
    remote = getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // app.request() in tests has no socket.
  }
  const forwarded = c.req.header('x-forwarded-for')
  if (forwarded && /^(127\.|::1$|::ffff:127\.)/.test(remote)) {
    const last = forwarded.split(',').at(-1)!.trim()
    if (last) return last
  }
  return remote
}

function tooMany(waitMs: number, who: string): ApiError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  return new ApiError('rate_limited', `Too many requests from this ${who}; try again in ${seconds} s`, undefined, { 'Retry-After': String(seconds) })
}

export function ipRateLimit(limitPerMinute: number) {
  const counter = new WindowCounter(limitPerMinute)
  return createMiddleware<AppEnv>(async (c, next) => {
    const wait = counter.hit(clientIp(c), c.get('deps').clock.now())
    if (wait > 0) throw tooMany(wait, 'address')
    await next()
  })
}
