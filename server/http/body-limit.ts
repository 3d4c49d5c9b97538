// The request body limit, in front of every route that reads a body (the bridge's ingest, the
// dashboard API). A request that states its length (Content-Length, no Transfer-Encoding: what the
// bridge's curl and browsers send) is judged by that header alone, before a byte is read; Node's
// HTTP parser never hands a route more bytes than the header said. Only a chunked body, or one
// whose length is not stated, is counted as it is read, by Hono's own middleware.
//
// Why not Hono's middleware for every request: it looks at `request.body` first, and under
// @hono/node-server that one property turns the server's light request into a full WHATWG Request
// (an AbortController and its signal, web streams, a finalization registration) just to learn
// that a body exists. Those objects outlive two young-generation collections (undici registers
// them for finalization), so each POST moved a few KB to the old generation, which then needed
// more full collections (pauses of 8–13 ms with late deliveries queued behind them) and held more
// memory between them. Without that look, the route's `c.req.text()` / `json()` reads the bytes
// straight from Node's request (node-server's fast path) and no Request is ever built.
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

export function limitBody(maxSize: number, onTooLarge: () => never): MiddlewareHandler {
  const counting = bodyLimit({ maxSize, onError: onTooLarge })
  return async (c, next) => {
    const method = c.req.method
    if (method === 'GET' || method === 'HEAD') return next()
    const length = c.req.header('content-length')
    const stated = length !== undefined && /^\d+$/.test(length.trim()) ? Number(length) : null
    if (stated !== null && c.req.header('transfer-encoding') === undefined) {
      // A stated length: an upper bound the parser enforces, so nothing is read here.
      if (stated > maxSize) onTooLarge()
      return next()
    }
    return counting(c, next)
  }
}
