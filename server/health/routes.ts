// GET /healthz: liveness plus database reachability. Says nothing secret, so anyone may call it.
import { createRoute, z } from '@hono/zod-openapi'
import { sql } from 'kysely'
import { newRouter } from '../http/openapi.js'

const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  database: z.object({ kind: z.enum(['mysql', 'sqlite']), reachable: z.boolean(), version: z.string() }),
  version: z.string(),
  uptime_seconds: z.number(),
}).openapi('Health')

const route = createRoute({
  method: 'get',
  path: '/healthz', operationId: 'health',
  summary: 'Liveness and database reachability',
  responses: {
    200: { description: 'Running and the database answers', content: { 'application/json': { schema: Health } } },
    503: { description: 'Running but the database does not answer', content: { 'application/json': { schema: Health } } },
  },
})

const started = Date.now()
export const APP_VERSION = '0.1.0'

export function healthRoutes() {
  return newRouter().openapi(route, async (c) => {
    const { db } = c.get('deps')
    let reachable = true
    try {
      await sql`select 1`.execute(db.db)
    } catch {
      reachable = false
    }
    const body = {
      status: reachable ? ('ok' as const) : ('degraded' as const),
      database: { kind: db.caps.kind, reachable, version: db.version },
      version: APP_VERSION,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
    }
    return c.json(body, reachable ? 200 : 503)
  })
}
