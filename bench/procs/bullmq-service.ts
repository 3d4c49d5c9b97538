// The same job on BullMQ: a Hono front door that checks the bridge signature like our ingest and
// enqueues one job per endpoint (3 per event, addBulk, 202 after Redis acknowledged), and a Worker
// (concurrency 64, like QSM_CONCURRENCY) that signs and POSTs with the shared sender, retrying with
// the same schedule (1s, 2s, 4s, 8s: exponential, 5 attempts). Roles: web+worker in one process
// (like our service), web only (the front door with no Worker: the same work as QSM's group-commit
// prototype), worker only (drain runs), or seed (enqueue a backlog and exit).
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { Queue, Worker } from 'bullmq'
import { childArg, send } from '../lib/proc.js'
import { redisClient } from '../lib/redis.js'
import { benchSender } from '../lib/sender.js'
import { eventBody, eventId } from '../lib/event.js'
import { sign } from '../../server/signing/sign.js'

interface Opts {
  role: 'web+worker' | 'web' | 'worker' | 'seed'
  redisPort: number
  queue: string
  receiverPort: number
  bridgeSecret: string
  seedDeliveries?: number
}

const o = childArg<Opts>()
const endpoints = [1, 2, 3].map((i) => ({ url: `http://127.0.0.1:${o.receiverPort}/e/${i}`, key: Buffer.alloc(32, i) }))
const JOB_OPTS = { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: false, removeOnFail: false }
const queue = new Queue(o.queue, { connection: redisClient(o.redisPort) })

const jobsFor = (id: string, body: string) =>
  endpoints.map((_, ep) => ({ name: 'deliver', data: { id, ep, body }, opts: { ...JOB_OPTS, jobId: `${id}-${ep}` } }))

if (o.role === 'seed') {
  let n = 0
  while (n < o.seedDeliveries!) {
    const batch = []
    for (let i = 0; i < 100 && n < o.seedDeliveries!; i++, n += 3) {
      const id = eventId()
      batch.push(...jobsFor(id, eventBody(id)))
    }
    await queue.addBulk(batch)
  }
  send({ done: true, seeded: n })
  await queue.close()
  process.exit(0)
}

const { sender, which } = await benchSender(`http://127.0.0.1:${o.receiverPort}/__stats`, 64)
const worker = o.role === 'web' ? null : new Worker(
  o.queue,
  async (job) => {
    const { id, ep, body } = job.data as { id: string; ep: number; body: string }
    const target = endpoints[ep]!
    const ts = Math.floor(Date.now() / 1000)
    const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(target.key, id, ts, body) }
    const r = await sender.send({ url: target.url, headers, body, timeoutMs: 10_000 })
    if (!r.ok) throw new Error(r.error ?? 'failed')
  },
  { connection: redisClient(o.redisPort), concurrency: 64 },
)

if (o.role === 'worker') send({ ready: true, sender: which })
else {
  const key = Buffer.from(o.bridgeSecret, 'utf8')
  const app = new Hono()
  app.post('/v1/events', async (c) => {
    const id = c.req.header('webhook-id') ?? ''
    const ts = c.req.header('webhook-timestamp') ?? ''
    const body = await c.req.text()
    const expected = Buffer.from('v1,' + createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64'))
    const given = Buffer.from((c.req.header('webhook-signature') ?? '').split(' ')[0] ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return c.json({ error: { code: 'unauthorized' } }, 401)
    const event = JSON.parse(body) as { id: string }
    await queue.addBulk(jobsFor(event.id, body))
    return c.json({ data: [{ id: event.id, deliveries: 3, duplicate: false }] }, 202)
  })
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => send({ ready: true, port: info.port, sender: which }))
}

process.on('SIGTERM', async () => {
  await worker?.close()
  await queue.close()
  await sender.close()
  process.exit(0)
})
