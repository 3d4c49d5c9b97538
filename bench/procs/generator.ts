// Load generator (its own process, so its CPU and RSS are not the service's). Sends signed 1 KB
// events to POST <url>.
//   closed: `connections` requests in flight for the whole run; the figure is the accepted rate.
//   open:   a smooth schedule of `rate` events/s; every event has a scheduled send time t0 and its
//           latency is measured from t0 (Outpost-style), so a generator or server that falls
//           behind shows up as latency instead of silently sending less (no coordinated omission).
// Samples from the first `warmupMs` are discarded. With idsFile, writes each accepted event's id and
// t0 so the parent can match deliveries at the receiver.
import { writeFileSync } from 'node:fs'
import { Pool } from 'undici'
import { childArg, send } from '../lib/proc.js'
import { eventBody, eventId, signedHeaders } from '../lib/event.js'
import { nowMs, sleep, summarize } from '../lib/stats.js'

interface Opts {
  url: string
  mode: 'closed' | 'open'
  connections: number
  rate?: number
  durationMs: number
  warmupMs: number
  bridgeSecret: string
  idsFile?: string
  /** Open loop: stop scheduling once this many requests are outstanding (the server is saturated;
   * going on would only make the run longer, not the verdict different). Default: 2 s of load. */
  maxOutstanding?: number
}

const o = childArg<Opts>()
const u = new URL(o.url)
const key = Buffer.from(o.bridgeSecret, 'utf8')
const pool = new Pool(u.origin, { connections: o.connections, pipelining: 1, keepAliveTimeout: 60_000 })
const latencies: number[] = []
const lags: number[] = []
const errors: Record<string, number> = {}
const acceptedIds: string[] = []
const acceptedT0: number[] = []
let sent = 0
let accepted = 0
let acceptedInWindow = 0
let inFlight = 0
let maxInFlight = 0
let saturatedAtMs: number | null = null
let unsent = 0

const start = nowMs() + 50
const warmEnd = start + o.warmupMs
const end = start + o.durationMs

async function one(t0: number): Promise<void> {
  const id = eventId()
  const body = eventBody(id)
  sent++
  inFlight++
  if (inFlight > maxInFlight) maxInFlight = inFlight
  const sentAt = nowMs()
  let status = 0
  try {
    const res = await pool.request({ method: 'POST', path: u.pathname, headers: signedHeaders(key, id, body), body })
    status = res.statusCode
    await res.body.dump()
  } catch (err) {
    errors[(err as Error).name] = (errors[(err as Error).name] ?? 0) + 1
  }
  inFlight--
  const doneAt = nowMs()
  if (status >= 200 && status < 300) {
    accepted++
    acceptedIds.push(id)
    acceptedT0.push(t0)
    if (t0 >= warmEnd && doneAt <= end + 0) acceptedInWindow++
    if (t0 >= warmEnd) {
      latencies.push(doneAt - t0)
      lags.push(sentAt - t0)
    }
  } else if (status) errors[String(status)] = (errors[String(status)] ?? 0) + 1
}

async function closed(): Promise<void> {
  await sleep(Math.max(0, start - nowMs()))
  const loops = Array.from({ length: o.connections }, async () => {
    while (nowMs() < end) await one(nowMs())
  })
  await Promise.all(loops)
}

async function open(): Promise<void> {
  const gap = 1000 / o.rate!
  const pending: Promise<void>[] = []
  const cap = o.maxOutstanding ?? Math.max(500, o.rate! * 2)
  let i = 0
  for (;;) {
    const now = nowMs()
    if (inFlight > cap) {
      saturatedAtMs = Math.round(now - start)
      unsent = Math.max(0, Math.ceil((end - start) / gap) - i)
      break
    }
    // Send everything whose scheduled time has come; t0 is the schedule, not the moment we got here.
    while (start + i * gap <= now && start + i * gap < end) pending.push(one(start + i++ * gap))
    if (start + i * gap >= end) break
    await sleep(Math.min(1, Math.max(0, start + i * gap - nowMs())))
  }
  await Promise.allSettled(pending)
}

await (o.mode === 'closed' ? closed() : open())
// From the first request to the last answer, warm-up included: with the time a system then takes to
// deliver what it still owes, the whole job's duration (report: "the whole job").
const elapsedMs = Math.round(nowMs() - start)
const windowMs = o.durationMs - o.warmupMs
if (o.idsFile) writeFileSync(o.idsFile, JSON.stringify({ ids: acceptedIds, t0: acceptedT0, warmEnd }))
send({
  done: true,
  mode: o.mode,
  sent,
  accepted,
  errors,
  windowMs,
  elapsedMs,
  rate: Math.round((acceptedInWindow / windowMs) * 1000),
  latency: summarize(latencies),
  sendLag: summarize(lags),
  maxInFlight,
  saturatedAtMs,
  unsent,
})
await pool.close()
process.exit(0)
