// runDue: claim due deliveries, send them within the process's limits, record the results. Used by
// /tick (one bounded pass), the in-process loop (a pass per wake-up) and the worker (continuous).
// A receiver can never make this throw: every send ends as a recorded outcome.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { buildDeliveryHeaders } from '../signing/headers.js'
import { withCustomHeaders } from '../endpoints/custom-headers.js'
import { AckQueue } from './ack-queue.js'
import { claimDue, leaseMsFor } from './claim.js'
import { afterSend } from './outcome.js'
import { prepareJobs, type Job } from './prepare.js'
import { releaseClaims } from './release.js'
import type { SendResult, EngineDeps } from './types.js'

export interface RunOptions {
  /** Lease owner id; newOwnerId() makes one. */
  owner: string
  /** Stop claiming after this long (wall time); sends in flight are still finished. */
  budgetMs: number
  /** True: return once nothing is due. False: keep polling until the budget or shouldStop. */
  stopWhenEmpty: boolean
  /** How long a claim is held; default leaseMsFor(config.deliveryTimeoutMs). */
  leaseMs?: number
  /** Polling interval when nothing is due (continuous mode). */
  idlePollMs?: number
  shouldStop?: () => boolean
  /**
   * Polled on every turn of the loop: true when new work was signalled (an ingest committed) since
   * the last call. A pass that had found nothing due then claims again instead of ending first.
   */
  takeWake?: () => boolean
}

export interface RunSummary {
  claimed: number
  succeeded: number
  retried: number
  failed: number
  /** Claims given back unsent (budget spent, stop requested, lease too close to its end). */
  released: number
  duration_ms: number
}

/** host:pid:random — unique per runner, readable in the deliveries table. Fits lease_owner (80). */
export function newOwnerId(): string {
  return `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`
}

export async function runDue(deps: EngineDeps, opts: RunOptions): Promise<RunSummary> {
  const t0 = performance.now()
  const { db, config, clock, log, limiter } = deps
  const leaseMs = opts.leaseMs ?? leaseMsFor(config.deliveryTimeoutMs)
  // Enough to keep every slot busy between claims, few enough that the last one still starts well
  // inside its lease; batches of 50–200 are where MariaDB claims stop being the bottleneck.
  const batchSize = Math.min(200, Math.max(10, config.concurrency * 4))
  // A send starts only with a full timeout (plus margin) left on its lease, so it always ends
  // before the lease does and no other runner can be sending the same delivery at the same time.
  const startMargin = Math.min(config.deliveryTimeoutMs + 5_000, leaseMs / 2)
  const idlePollMs = opts.idlePollMs ?? 500
  const summary: RunSummary = { claimed: 0, succeeded: 0, retried: 0, failed: 0, released: 0, duration_ms: 0 }
  const acks = new AckQueue(deps, (applied) => {
    for (const f of applied) {
      if (f.status === 'succeeded') summary.succeeded += 1
      else if (f.status === 'pending') summary.retried += 1
      else summary.failed += 1
    }
  })
  const local: Job[] = []
  const running = new Set<Promise<void>>()
  // At most one claim (claimDue + prepareJobs) in flight, running beside the sends: the loop keeps
  // launching from `local` while the next batch is fetched, so slots do not idle for a round trip.
  let claiming: Promise<void> | null = null
  let drained = false
  let idleUntil = 0
  // Claim ahead once fewer than this many jobs wait: two rounds of sends cover one claim round trip.
  const lowWater = config.concurrency * 2
  const stopping = () => performance.now() - t0 >= opts.budgetMs || (opts.shouldStop?.() ?? false)

  const giveBack = async (jobs: Job[]) => {
    if (jobs.length === 0) return
    try {
      summary.released += await releaseClaims(db, jobs.map((j) => j.claim), clock.now())
    } catch (err) {
      // Not fatal: the leases simply run out and the rows are due again then.
      log.warn('could not release claims', { error: (err as Error).message })
    }
  }

  const launch = (job: Job) => {
    limiter.start(job.claim.user_id)
    const task = (async () => {
      const startedAt = clock.now()
      let result: SendResult
      let logged: Record<string, string> | null = null
      try {
        const signed = buildDeliveryHeaders({ eventId: job.claim.event_id, eventType: job.claim.event_type, body: job.body, keys: job.keys, nowMs: startedAt })
        const headers = withCustomHeaders(signed, job.customHeaders)
        logged = headers.logged
        result = await deps.sender.send({ url: job.url, headers: headers.send, body: job.body, timeoutMs: config.deliveryTimeoutMs })
      } catch (err) {
        result = { ok: false, statusCode: null, durationMs: 0, errorClass: 'error', error: `could not send: ${(err as Error).message}`, retryAfterMs: null, responseExcerpt: '' }
      } finally {
        limiter.finish(job.claim.user_id)
      }
      acks.push(afterSend(job.claim, result, startedAt, clock.now(), config, deps.random, job.claim.trigger, logged))
    })()
    running.add(task)
    void task.finally(() => running.delete(task))
  }

  const claimAhead = () => {
    claiming = (async () => {
      try {
        const claims = await claimDue(db, { owner: opts.owner, nowMs: clock.now(), limit: batchSize, leaseMs })
        summary.claimed += claims.length
        drained = claims.length === 0
        if (drained) idleUntil = performance.now() + idlePollMs
        const { jobs, unsendable } = await prepareJobs(db, claims, config, clock.now())
        acks.push(...unsendable)
        local.push(...jobs)
      } catch (err) {
        // A busy database (deadlock victim, locked SQLite file, lost connection): wait and poll
        // again. Rows claimed before a prepare failed keep their lease and are due when it ends.
        log.warn('could not claim deliveries', { error: (err as Error).message })
        drained = true
        idleUntil = performance.now() + idlePollMs
      }
    })().finally(() => { claiming = null })
  }

  const mayClaim = () =>
    claiming === null && !stopping() && local.length < lowWater && !(drained && opts.stopWhenEmpty) && performance.now() >= idleUntil

  while (true) {
    if (stopping()) {
      // A claim still in flight lands in `local` first, so its rows are given back too and do not
      // sit leased until their lease runs out.
      if (claiming) await claiming
      await giveBack(local.splice(0))
      if (running.size === 0) break
      await Promise.race(running)
      continue
    }
    if (opts.takeWake?.()) {
      drained = false
      idleUntil = 0
    }
    if (mayClaim()) claimAhead()
    const now = clock.now()
    const stale: Job[] = []
    for (let i = 0; i < local.length && limiter.hasRoom(); ) {
      const job = local[i]!
      if (job.claim.leaseUntil - now < startMargin) stale.push(...local.splice(i, 1))
      else if (limiter.canStart(job.claim.user_id)) launch(local.splice(i, 1)[0]!)
      else i++
    }
    await giveBack(stale)
    if (opts.stopWhenEmpty && drained && claiming === null && local.length === 0 && running.size === 0) break
    if (mayClaim()) continue
    const untilPoll = idleUntil - performance.now()
    if (running.size > 0 || local.length > 0 || claiming) {
      // Wake on whichever comes first: a send finishing (a slot is free) or the claim landing.
      const changed = limiter.changed(untilPoll > 0 ? Math.max(5, Math.min(1000, untilPoll)) : 1000)
      await (claiming ? Promise.race([changed, claiming]) : changed)
    } else await sleep(Math.max(5, Math.min(untilPoll, idlePollMs)))
  }
  await acks.drain()
  summary.duration_ms = Math.round(performance.now() - t0)
  return summary
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
