// B-send: the physical limit for delivery. undici Pool.request POSTs of a signed 1 KB body to the
// loopback receiver with `inFlight` requests outstanding, for `durationMs`. No database, no queue.
import { Pool } from 'undici'
import { childArg, send } from '../lib/proc.js'
import { eventBody, eventId, signedHeaders } from '../lib/event.js'
import { nowMs, summarize } from '../lib/stats.js'

const o = childArg<{ url: string; inFlight: number; durationMs: number; warmupMs: number }>()
const u = new URL(o.url)
const key = Buffer.alloc(32, 3)
const pool = new Pool(u.origin, { connections: o.inFlight, keepAliveTimeout: 60_000 })
const start = nowMs()
const warmEnd = start + o.warmupMs
const end = start + o.durationMs
const lat: number[] = []
let ok = 0
let failed = 0

async function loop(): Promise<void> {
  while (nowMs() < end) {
    const id = eventId()
    const body = eventBody(id)
    const t = nowMs()
    try {
      // Signing is part of the job: every delivery HMACs its body, so the floor includes it.
      const res = await pool.request({ method: 'POST', path: u.pathname, headers: signedHeaders(key, id, body), body })
      await res.body.dump()
      if (t >= warmEnd) {
        if (res.statusCode < 300) ok++
        else failed++
        lat.push(nowMs() - t)
      }
    } catch {
      failed++
    }
  }
}

await Promise.all(Array.from({ length: o.inFlight }, loop))
send({ done: true, rate: Math.round((ok / (o.durationMs - o.warmupMs)) * 1000), ok, failed, latency: summarize(lat) })
await pool.close()
process.exit(0)
