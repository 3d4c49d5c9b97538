// The same job on BullMQ + Redis, run through the same generator, receiver, phases and ledger as
// our service: closed-loop ingest, open loop at 1,000 and 300 events/s, a drain of a pre-seeded
// backlog by a worker-only process. Run twice: on the shared Redis (no persistence) and on a
// redis-server we start with AOF + appendfsync always (durable at ack, comparable to our fsync).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { spawnTs, type Child } from '../lib/proc.js'
import { redisClient } from '../lib/redis.js'
import { runLoad } from '../lib/load.js'
import { arrivalRate, e2eLatency, type Receiver } from '../lib/receiver-client.js'
import { sampleUsage, readMem, type Mem } from '../lib/rss.js'
import { bullLedger } from '../lib/ledger.js'
import { TEST_SECRETS } from '../lib/service.js'
import { sleep } from '../lib/stats.js'
import type { Profile } from '../profile.js'
import type { Phase } from './service.js'
import type { DrainResult } from './drain.js'

export interface BullResult {
  redis: string
  sender?: string
  idle: Mem | null
  ingestClosed?: Phase
  /** Closed loop with no Worker running: the front door alone, as QSM's group-commit prototype. */
  ingestFrontDoor?: Phase
  open: Record<string, Phase>
  drain?: DrainResult
  errors: string[]
}

const COUNTS = ['completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const

async function counts(q: Queue): Promise<Record<string, number>> {
  return (await q.getJobCounts(...COUNTS)) as Record<string, number>
}

async function settle(q: Queue, timeoutMs: number): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    const c = await counts(q)
    if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0) break
    await sleep(200)
  }
  return Date.now() - t0
}

export async function bullmqRuns(p: Profile, receiver: Receiver, redisPort: number, redisPid: number | null, label: string, log: (s: string) => void): Promise<BullResult> {
  const out: BullResult = { redis: label, idle: null, open: {}, errors: [] }
  const name = `qsm_bench_${randomBytes(3).toString('hex')}`
  const queue = new Queue(name, { connection: redisClient(redisPort) })
  const dir = mkdtempSync(join(tmpdir(), 'qsm-bench-bull-'))
  const pidsOf = (c: Child): Record<string, number> => (redisPid ? { service: c.pid, broker: redisPid } : { service: c.pid })
  const base = { redisPort, queue: name, receiverPort: receiver.port, bridgeSecret: TEST_SECRETS.QSM_BRIDGE_SECRET }
  let svc: Child | undefined
  try {
    svc = spawnTs('bench/procs/bullmq-service.ts', { ...base, role: 'web+worker' })
    const ready = await svc.next((m) => (m.ready ? (m as { port: number; sender: string }) : undefined), 30_000)
    out.sender = ready.sender
    await sleep(p.idleWaitMs)
    out.idle = readMem(svc.pid)
    const url = `http://127.0.0.1:${ready.port}/v1/events`
    const specs = [
      { key: 'closed', mode: 'closed' as const, ms: p.closedMs, rate: undefined },
      { key: String(p.openRate), mode: 'open' as const, ms: p.openMs, rate: p.openRate },
      { key: String(p.lowRate), mode: 'open' as const, ms: p.lowMs, rate: p.lowRate },
    ]
    for (const s of specs) {
      await queue.obliterate({ force: true })
      await receiver.reset()
      const sampler = sampleUsage(pidsOf(svc))
      const load = await runLoad({ url, mode: s.mode, rate: s.rate, connections: s.mode === 'closed' ? p.closedConnections : undefined, durationMs: s.ms, warmupMs: p.warmupMs, idsDir: s.mode === 'open' ? dir : undefined })
      const settleMs = await settle(queue, p.settleMs)
      const got = await receiver.waitFor(load.accepted * 3, 2000)
      const usage = sampler.stop()
      let e2e
      if (load.idsFile) {
        const dump = join(dir, `arrivals-${s.key}.json`)
        await receiver.dump(dump)
        e2e = e2eLatency(load.idsFile, dump, 3)
      }
      const ledger = { ...bullLedger(load.accepted, 3, await counts(queue)), duplicates: got.count - got.unique }
      const ph: Phase = { load, e2e, ledger, usage, settleMs }
      if (s.key === 'closed') out.ingestClosed = ph
      else out.open[s.key] = ph
      log(`  ${s.key}: ingest ${load.rate} ev/s p50/p99 ${load.latency?.p50}/${load.latency?.p99} ms; e2e p50/p99 ${e2e?.latency?.p50 ?? '-'}/${e2e?.latency?.p99 ?? '-'}; ledger ${ledger.balanced ? 'ok' : 'VOID'}`)
    }
    await svc.stop()
    svc = undefined

    // The front door alone: the same closed loop with no Worker, so every job stays waiting.
    await queue.obliterate({ force: true })
    svc = spawnTs('bench/procs/bullmq-service.ts', { ...base, role: 'web' })
    const web = await svc.next((m) => (m.ready ? (m as { port: number }) : undefined), 30_000)
    {
      const sampler = sampleUsage(pidsOf(svc))
      const load = await runLoad({ url: `http://127.0.0.1:${web.port}/v1/events`, mode: 'closed', connections: p.closedConnections, durationMs: p.closedMs, warmupMs: p.warmupMs })
      const usage = sampler.stop()
      const ledger = bullLedger(load.accepted, 3, await counts(queue))
      out.ingestFrontDoor = { load, ledger, usage, settleMs: 0 }
      log(`  closed, front door alone (no Worker): ingest ${load.rate} ev/s p50/p99 ${load.latency?.p50}/${load.latency?.p99} ms; ledger ${ledger.balanced ? 'ok' : 'VOID'}`)
    }
    await svc.stop()
    svc = undefined

    await queue.obliterate({ force: true })
    const seeder = spawnTs('bench/procs/bullmq-service.ts', { ...base, role: 'seed', seedDeliveries: p.drainDeliveries })
    const seeded = (await seeder.next((m) => (m.done ? (m.seeded as number) : undefined), 120_000))
    await receiver.reset()
    const t0 = Date.now()
    svc = spawnTs('bench/procs/bullmq-service.ts', { ...base, role: 'worker' })
    const sampler = sampleUsage(pidsOf(svc))
    const got = await receiver.waitFor(seeded, p.settleMs)
    await settle(queue, 5000)
    const usage = sampler.stop()
    out.drain = {
      seeded,
      delivered: got.unique,
      rate: arrivalRate(got),
      wallMs: Math.round(got.lastAt - t0),
      ledger: { ...bullLedger(seeded / 3, 3, await counts(queue)), duplicates: got.count - got.unique },
      usage,
    }
    log(`  drain ${seeded}: ${out.drain.rate}/s`)
  } catch (err) {
    out.errors.push((err as Error).message)
  } finally {
    await svc?.stop()
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}
