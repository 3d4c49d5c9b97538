// The physical limits, measured in the same run and under the same contention as the service:
// B-http (Hono, no DB), B-db (raw SQL on each database), B-send (raw undici to the same receiver).
import { spawnTs } from '../lib/proc.js'
import { runLoad, type LoadResult } from '../lib/load.js'
import { freshDatabase, type Dialect } from '../lib/database.js'
import type { Receiver } from '../lib/receiver-client.js'
import type { Summary } from '../lib/stats.js'
import type { Profile } from '../profile.js'

export interface Baselines {
  http: { closed: LoadResult; open: LoadResult }
  db: Partial<Record<Dialect, RawDb>>
  send: { rate: number; inFlight: number; latency: Summary | null }
}

export interface RawDb {
  txn1: { rate: number; conns: number; txnLatency: Summary | null }
  multi100: { rate: number; conns: number; txnLatency: Summary | null }
  claim: { rate: number; claimers: number; limit: number; acked: number }
}

export async function httpBaseline(p: Profile): Promise<Baselines['http']> {
  const server = spawnTs('bench/procs/hono-baseline.ts', {})
  const port = await server.next((m) => (m.ready ? (m.port as number) : undefined), 20_000)
  const url = `http://127.0.0.1:${port}/v1/events`
  const closed = await runLoad({ url, mode: 'closed', connections: p.closedConnections, durationMs: p.closedMs, warmupMs: p.warmupMs })
  const open = await runLoad({ url, mode: 'open', rate: p.openRate, durationMs: p.openMs, warmupMs: p.warmupMs })
  await server.stop()
  return { closed, open }
}

export async function dbBaseline(p: Profile, dialect: Dialect): Promise<RawDb> {
  const db = await freshDatabase(dialect)
  try {
    const child = spawnTs('bench/procs/raw-db.ts', { url: db.url, durationMs: p.rawDbMs, claimBacklog: p.claimBacklog, limit: 50 })
    return await child.next((m) => (m.done ? (m as RawDb) : undefined), p.rawDbMs * 2 + 120_000)
  } finally {
    await db.drop()
  }
}

export async function sendBaseline(p: Profile, receiver: Receiver): Promise<Baselines['send']> {
  await receiver.reset()
  const child = spawnTs('bench/procs/raw-send.ts', { url: receiver.url('/e/1'), inFlight: 64, durationMs: p.sendMs, warmupMs: Math.min(1000, p.warmupMs) })
  const r = await child.next((m) => (m.done ? m : undefined), p.sendMs + 30_000)
  await receiver.reset()
  return { rate: r.rate, inFlight: 64, latency: r.latency }
}
