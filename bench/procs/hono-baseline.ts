// B-http: the floor our ingest is compared with. A Hono POST handler on @hono/node-server that
// parses the 1 KB JSON body and answers 202, with no database, fed by the same generator.
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { childArg, send } from '../lib/proc.js'

childArg<Record<string, never>>()
const app = new Hono()
app.post('/v1/events', async (c) => {
  const body = await c.req.json<{ id: string }>()
  return c.json({ data: [{ id: body.id, deliveries: 3, duplicate: false }] }, 202)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => send({ ready: true, port: info.port }))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
