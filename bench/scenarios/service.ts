// Our service, web process (ingest + in-process delivery), on one database: idle RSS, closed-loop
// ingest, then open-loop runs at 1,000 and 300 events/s that give ingest latency and
// event→delivered latency from each event's scheduled t0. Every phase starts from empty tables and
// ends with its own ledger.
import { join } from 'node:path'
import { freshDatabase, type BenchDb, type Dialect } from '../lib/database.js'
import { openRaw, type RawSql } from '../lib/raw-sql.js'
import { createEndpoints, startWeb, type Service } from '../lib/service.js'
import { runLoad, type LoadResult } from '../lib/load.js'
import { e2eLatency, type E2e, type Receiver } from '../lib/receiver-client.js'
import { readMem, sampleUsage, type Mem, type Usage } from '../lib/rss.js'
import { closeLedger, emptyTables, waitDrained } from '../lib/phase.js'
import type { Ledger } from '../lib/ledger.js'
import type { Entry } from '../lib/build.js'
import { sleep } from '../lib/stats.js'
import type { Profile } from '../profile.js'
import { drainRuns, type DrainResult, type TickResult } from './drain.js'
import { groupCommitRun } from './group-commit.js'
import { frontDoorRun } from './front-door.js'

export interface Phase {
  load?: LoadResult
  e2e?: E2e
  ledger: Ledger
  usage: Record<string, Usage>
  /** ms from the end of load until nothing was pending (bounded by the profile's settleMs). */
  settleMs: number
}

export interface ServiceResult {
  dialect: Dialect
  idle: Mem | null
  ingestClosed?: Phase
  open: Record<string, Phase>
  drain?: DrainResult
  tick?: TickResult
  /** The service's front door alone: the web process with QSM_WEB_DELIVERY=false, closed loop (front-door.ts). */
  frontDoor?: Phase
  /** Prototype: the same ingest code with requests sharing transactions (not the service). */
  groupCommit?: Phase
  errors: string[]
}

export const ENDPOINTS = 3

/**
 * A closed loop counted as the whole job: events accepted per second, over the time from the first
 * request until the last of their deliveries left. Undefined for results without elapsedMs.
 */
export function wholeJobRate(p: Phase | undefined): number | undefined {
  const elapsed = p?.load?.elapsedMs
  if (!p?.load || !elapsed) return undefined
  return Math.round((p.load.accepted / (elapsed + p.settleMs)) * 1000)
}

export async function phase(p: Profile, db: BenchDb, sql: RawSql, web: Service, receiver: Receiver, dbPid: number | null, spec: { mode: 'closed' | 'open'; rate?: number; ms: number }): Promise<Phase> {
  await emptyTables(sql)
  await receiver.reset()
  const pids: Record<string, number> = { service: web.child.pid }
  if (dbPid) pids.database = dbPid
  const sampler = sampleUsage(pids)
  const load = await runLoad({
    url: `${web.base}/v1/events`,
    mode: spec.mode,
    rate: spec.rate,
    connections: spec.mode === 'closed' ? p.closedConnections : undefined,
    durationMs: spec.ms,
    warmupMs: p.warmupMs,
    idsDir: spec.mode === 'open' ? db.dir : undefined,
  })
  const settleMs = await waitDrained(sql, p.settleMs)
  // Let in-flight deliveries reach the receiver before it is read.
  const received = await receiver.waitFor(load.accepted * ENDPOINTS, 2000)
  const usage = sampler.stop()
  let e2e: E2e | undefined
  if (load.idsFile) {
    const dump = join(db.dir, `arrivals-${spec.rate}.json`)
    await receiver.dump(dump)
    e2e = e2eLatency(load.idsFile, dump, ENDPOINTS)
  }
  const ledger = await closeLedger(sql, load.accepted, ENDPOINTS, received)
  return { load, e2e, ledger, usage, settleMs }
}

export async function serviceRuns(p: Profile, dialect: Dialect, entry: Entry, receiver: Receiver, dbPid: number | null, log: (s: string) => void): Promise<ServiceResult> {
  const out: ServiceResult = { dialect, idle: null, open: {}, errors: [] }
  const db = await freshDatabase(dialect)
  const sql = openRaw(db.url, 4)
  let web: Service | undefined
  try {
    web = await startWeb(entry, db.url)
    const endpointIds = await createEndpoints(web.base, receiver.port, ENDPOINTS)
    // Idle: booted, migrated, pool open, endpoints created, nothing to do for a few seconds.
    await sleep(p.idleWaitMs)
    out.idle = readMem(web.child.pid)
    log(`  idle RSS ${out.idle?.rssMB} MB`)
    try {
      out.ingestClosed = await phase(p, db, sql, web, receiver, dbPid, { mode: 'closed', ms: p.closedMs })
      log(`  ingest closed c=${p.closedConnections}: ${out.ingestClosed.load?.rate} ev/s, errors ${JSON.stringify(out.ingestClosed.load?.errors)}`)
    } catch (err) {
      out.errors.push(`ingest closed: ${(err as Error).message}`)
    }
    for (const [rate, ms] of [[p.openRate, p.openMs], [p.lowRate, p.lowMs]] as const) {
      try {
        const ph = await phase(p, db, sql, web, receiver, dbPid, { mode: 'open', rate, ms })
        out.open[String(rate)] = ph
        log(`  open ${rate}/s: ingest p50/p99 ${ph.load?.latency?.p50}/${ph.load?.latency?.p99} ms; e2e p50/p99 ${ph.e2e?.latency?.p50}/${ph.e2e?.latency?.p99} ms (${ph.e2e?.arrived}/${ph.e2e?.expected})`)
      } catch (err) {
        out.errors.push(`open ${rate}/s: ${(err as Error).message}`)
      }
    }
    await web.stop()
    web = undefined
    try {
      out.frontDoor = await frontDoorRun(p, db, sql, entry, receiver, ENDPOINTS, dbPid)
      log(`  front door alone (QSM_WEB_DELIVERY=false): ${out.frontDoor.load?.rate} ev/s, p50/p99 ${out.frontDoor.load?.latency?.p50}/${out.frontDoor.load?.latency?.p99} ms; ledger ${out.frontDoor.ledger.balanced ? 'ok' : 'VOID'}`)
    } catch (err) {
      out.errors.push(`front door alone: ${(err as Error).message}`)
    }
    if (p.prototype) {
      try {
        out.groupCommit = await groupCommitRun(p, db, sql, ENDPOINTS)
        log(`  prototype group-commit ingest: ${out.groupCommit.load?.rate} ev/s, p50/p99 ${out.groupCommit.load?.latency?.p50}/${out.groupCommit.load?.latency?.p99} ms`)
      } catch (err) {
        out.errors.push(`group commit prototype: ${(err as Error).message}`)
      }
    }
    const d = await drainRuns(p, db, sql, entry, receiver, endpointIds, dbPid, log)
    out.drain = d.drain
    out.tick = d.tick
    out.errors.push(...d.errors)
  } catch (err) {
    out.errors.push((err as Error).message)
  } finally {
    await web?.stop()
    await sql.close()
    await db.drop()
  }
  return out
}
