// Delivery throughput without ingest: a pre-seeded backlog drained by the `worker` command, and by
// one /tick with the default 20 s budget. The drain rate is deliveries over first-to-last arrival at
// the receiver (the worker's boot is reported apart); the tick figure is what one tick delivered.
import type { BenchDb } from '../lib/database.js'
import type { RawSql } from '../lib/raw-sql.js'
import { seedBacklog } from '../lib/seed.js'
import { startCli } from '../lib/service.js'
import { oneTick } from './tick.js'
import { arrivalRate, type Receiver } from '../lib/receiver-client.js'
import { sampleUsage, type Usage } from '../lib/rss.js'
import { closeLedger, emptyTables, waitDrained } from '../lib/phase.js'
import type { Ledger } from '../lib/ledger.js'
import type { Entry } from '../lib/build.js'
import { nowMs, sleep } from '../lib/stats.js'
import { perDelivery, statusCounters } from '../lib/query-count.js'
import type { Profile } from '../profile.js'

export interface DrainResult {
  seeded: number
  delivered: number
  /** Deliveries/s between the first and the last arrival. */
  rate: number
  /** From spawning the worker to the last arrival, boot included. */
  wallMs: number
  ledger: Ledger
  usage: Record<string, Usage>
  /** MariaDB statements per delivery during the drain (global counters). */
  queriesPerDelivery?: Record<string, number>
}

export interface TickResult {
  seeded: number
  /** Distinct deliveries that reached the receiver while the tick ran. */
  delivered: number
  elapsedMs: number
  rate: number
  via: string
  summary: unknown
  ledger: Ledger
  usage: Record<string, Usage>
}

/** Empty tables, a backlog of n deliveries, and a receiver that has counted nothing yet. */
export async function seedDrain(sql: RawSql, n: number, endpointIds: string[], receiver: Receiver): Promise<number> {
  await emptyTables(sql)
  const seeded = await seedBacklog(sql, n, endpointIds)
  await receiver.reset()
  return seeded
}

export async function drainRuns(p: Profile, db: BenchDb, sql: RawSql, entry: Entry, receiver: Receiver, endpointIds: string[], dbPid: number | null, log: (s: string) => void) {
  const errors: string[] = []
  let drain: DrainResult | undefined
  let tick: TickResult | undefined
  const extraPids: Record<string, number> = dbPid ? { database: dbPid } : {}
  try {
    const seeded = await seedDrain(sql, p.drainDeliveries, endpointIds, receiver)
    const before = await statusCounters(sql)
    const t0 = nowMs()
    const worker = startCli(entry, 'worker', db.url)
    const sampler = sampleUsage({ worker: worker.pid, ...extraPids })
    // Stop waiting early if the worker dies: its stderr then says why.
    const died = worker.next(() => undefined, p.settleMs).catch((err: Error) => err)
    const got = await Promise.race([receiver.waitFor(seeded, p.settleMs), died.then(() => receiver.stats())])
    await waitDrained(sql, 5000)
    const usage = sampler.stop()
    if (worker.proc.exitCode !== null) errors.push(`worker exited with ${worker.proc.exitCode}: ${worker.stderr().slice(-500)}`)
    await worker.stop('SIGTERM', 15_000)
    await sleep(200)
    const after = await statusCounters(sql)
    drain = {
      queriesPerDelivery: perDelivery(before, after, got.unique),
      seeded,
      delivered: got.unique,
      rate: arrivalRate(got),
      wallMs: got.lastAt ? Math.round(got.lastAt - t0) : 0,
      ledger: await closeLedger(sql, seeded / endpointIds.length, endpointIds.length, got),
      usage,
    }
    log(`  drain ${seeded} (worker): ${drain.rate}/s, ${drain.delivered} delivered, wall ${drain.wallMs} ms`)
  } catch (err) {
    errors.push(`drain: ${(err as Error).message}`)
  }
  try {
    const seeded = await seedDrain(sql, p.tickDeliveries, endpointIds, receiver)
    tick = await oneTick(entry, db.url, receiver, extraPids, seeded)
    tick.ledger = await closeLedger(sql, seeded / endpointIds.length, endpointIds.length, await receiver.stats())
    log(`  tick (${tick.via}): ${tick.delivered} of ${seeded} in ${tick.elapsedMs} ms`)
  } catch (err) {
    errors.push(`tick: ${(err as Error).message}`)
  }
  return { drain, tick, errors }
}
