// A prototype, not the service: the service's front door with no delivery loop. The same steps as
// POST /v1/events (bridge signature check, parseEventsBody, and the service's own ingest batcher,
// server/events/group-commit.ts, with its endpoint cache) behind a bare Hono route: no hand-off,
// no sends, and none of the service's other middleware. Until 5 December it had a batcher of its
// own (requests within 2 ms or up to 128 events per transaction); the service's batcher took the
// same loop from 5,287-5,615 to 6,098-6,378 ev/s on MariaDB (focus.ts, alternating), so this is now
// the closer stand-in for "the service's front door alone" (bench/README.md, runs V-X).
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { connect } from '../../server/db/connect.js'
import { createIngestBatcher } from '../../server/events/group-commit.js'
import { parseEventsBody } from '../../server/events/parse-body.js'
import { verify } from '../../server/signing/verify.js'
import { childArg, send } from '../lib/proc.js'

const o = childArg<{ url: string; bridgeSecret: string }>()
const db = await connect(o.url, { poolSize: 8 })
const key = Buffer.from(o.bridgeSecret, 'utf8')
// No delivery loop here: nothing to hand off to and nothing to wake after a commit.
const batcher = createIngestBatcher(db, Date.now, () => {})

const app = new Hono()
app.post('/v1/events', async (c) => {
  const body = await c.req.text()
  try {
    verify([key], { id: c.req.header('webhook-id'), timestamp: c.req.header('webhook-timestamp'), signature: c.req.header('webhook-signature'), body }, Date.now(), 300)
  } catch {
    return c.json({ error: { code: 'unauthorized' } }, 401)
  }
  try {
    return c.json({ data: await batcher.submit(parseEventsBody(body)) }, 202)
  } catch (err) {
    return c.json({ error: { code: 'internal_error', message: (err as Error).message } }, 500)
  }
})
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => send({ ready: true, port: info.port }))
process.on('SIGTERM', () => void db.close().then(() => process.exit(0)))
