// A prototype, not the service: the evidence behind the group-commit finding. The same steps as
// POST /v1/events (bridge signature check, parseEventsBody, ingestEvents — the server's own
// functions), except that requests arriving within 2 ms (or up to 128 events) share one
// transaction, and each request is answered after that transaction commits. No delivery loop.
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { connect } from '../../server/db/connect.js'
import { ingestEvents, type IngestResult } from '../../server/events/ingest.js'
import { parseEventsBody, type IncomingEvent } from '../../server/events/parse-body.js'
import { verify } from '../../server/signing/verify.js'
import { childArg, send } from '../lib/proc.js'

const o = childArg<{ url: string; bridgeSecret: string; maxEvents?: number; maxWaitMs?: number }>()
const MAX_EVENTS = o.maxEvents ?? 128
const MAX_WAIT_MS = o.maxWaitMs ?? 2
// SQLite has one writer, so one batch at a time; MariaDB commits several in parallel (its own group
// commit then shares the fsync), so up to 4 batches are in flight on separate connections.
const MAX_FLUSHES = o.url.startsWith('sqlite:') ? 1 : 4
const db = await connect(o.url, { poolSize: 8 })
const key = Buffer.from(o.bridgeSecret, 'utf8')

interface Waiter {
  events: IncomingEvent[]
  done: (r: IngestResult[] | Error) => void
}
let queue: Waiter[] = []
let queued = 0
let timer: NodeJS.Timeout | null = null
let flushing = 0

function schedule(): void {
  if (flushing >= MAX_FLUSHES) return // a batch in flight will pick this up when it commits
  if (queued >= MAX_EVENTS) void flush()
  else timer ??= setTimeout(() => void flush(), MAX_WAIT_MS)
}

async function flush(): Promise<void> {
  if (timer) clearTimeout(timer)
  timer = null
  if (queue.length === 0) return
  const batch = queue
  queue = []
  queued = 0
  flushing++
  try {
    const results = await ingestEvents({ db }, batch.flatMap((w) => w.events), Date.now())
    let i = 0
    for (const w of batch) w.done(results.slice(i, (i += w.events.length)))
  } catch (err) {
    for (const w of batch) w.done(err as Error)
  } finally {
    flushing--
    if (queue.length) schedule()
  }
}

const app = new Hono()
app.post('/v1/events', async (c) => {
  const body = await c.req.text()
  try {
    verify([key], { id: c.req.header('webhook-id'), timestamp: c.req.header('webhook-timestamp'), signature: c.req.header('webhook-signature'), body }, Date.now(), 300)
  } catch {
    return c.json({ error: { code: 'unauthorized' } }, 401)
  }
  const events = parseEventsBody(body)
  const result = await new Promise<IngestResult[] | Error>((done) => {
    queue.push({ events, done })
    queued += events.length
    schedule()
  })
  if (result instanceof Error) return c.json({ error: { code: 'internal_error', message: result.message } }, 500)
  return c.json({ data: result }, 202)
})
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => send({ ready: true, port: info.port }))
process.on('SIGTERM', () => void db.close().then(() => process.exit(0)))
