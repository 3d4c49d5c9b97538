// CORS for the API (/v1/*): only the configured dashboard origin may call it from a browser.
//
// Hono's cors middleware adds `Vary: Origin` after the route has answered. An answer that already
// exists must then be rebuilt to take a header: under @hono/node-server that turns its light
// response into a full WHATWG Response (body stream included) and copies it into another, on every
// API answer, the bridge's ingest included, which never sends an Origin. Requests without an Origin
// (the bridge, curl, same-origin GETs) have nothing to allow, so for them `Vary: Origin` is set
// before the route runs, where it joins the answer's headers as it is built. A request with an
// Origin, and every preflight, goes through Hono's middleware as before.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'

type CorsOptions = Parameters<typeof cors>[0]

export function apiCors(options: CorsOptions): MiddlewareHandler {
  const full = cors(options)
  return async (c, next) => {
    if (c.req.method === 'OPTIONS' || c.req.header('origin') !== undefined) return full(c, next)
    // Whether an Origin would have been allowed depends on the Origin: caches must key on it.
    c.header('Vary', 'Origin', { append: true })
    await next()
  }
}
