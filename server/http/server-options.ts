// Limits for the Node HTTP server itself, before any request reaches Hono. Node's defaults give a
// client 60 s to send its headers and 300 s for the whole request, checked every 30 s: a few
// hundred slow clients ("slow-loris") could hold that many sockets for minutes. No real caller
// needs long: the bridge and the dashboard send at most 64 KB, and cron's /tick sends nothing.
// (The response may still take the tick budget; these limits are only about receiving.)
import type { ServerOptions } from 'node:http'

export interface ReceiveLimits {
  headersTimeoutMs: number
  requestTimeoutMs: number
}

export const DEFAULT_RECEIVE_LIMITS: ReceiveLimits = { headersTimeoutMs: 15_000, requestTimeoutMs: 30_000 }

export function serverOptions(limits: ReceiveLimits = DEFAULT_RECEIVE_LIMITS): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often Node looks for connections past those limits; by default every 30 s.
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 3))),
    // Idle keep-alive sockets are closed soon; the bridge opens a new one per event anyway.
    keepAliveTimeout: 5_000,
  }
}
