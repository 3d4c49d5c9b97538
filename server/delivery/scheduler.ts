// The delivery loop inside the web process: a pass right after an ingest (wake), and a slow poll
// so retries that fall due are sent while the process lives. Under Passenger the process may be
// stopped when idle; then /tick from cron picks up whatever is due.
//
// New deliveries do not wait for a claim: ingest writes the ones this process has room for
// already leased to this loop's owner and hands them over after the commit (hand-off.ts). A pass
// started only for handed-off jobs does not claim; rows ingest left due (no room here) wake the
// claim path as before.
import { leaseMsFor } from './claim.js'
import { PendingEndpoints } from '../db/pending-endpoints.js'
import { EndpointGuard } from './endpoint-guard.js'
import { HandOffDesk } from './hand-off.js'
import { releaseOwner } from './release.js'
import { newOwnerId, runDue, type RunSummary } from './runner.js'
import type { Dispatcher, EngineDeps } from './types.js'

/** How long one pass may keep claiming; a new pass starts at the next wake or poll. */
const PASS_BUDGET_MS = 60_000

export interface SchedulerOptions {
  /** The slow poll; the default suits a web process (retries are sent within a second of falling due). */
  pollMs?: number
  /** Called after every finished pass, found work or not (tests wait on it instead of sleeping). */
  onPass?: (summary: RunSummary | null) => void
  /** The lease of this loop's claims and hand-offs; default leaseMsFor(config.deliveryTimeoutMs). */
  leaseMs?: number
}

export function startScheduler(deps: EngineDeps, opts: SchedulerOptions = {}): Dispatcher {
  const owner = newOwnerId()
  const leaseMs = opts.leaseMs ?? leaseMsFor(deps.config.deliveryTimeoutMs)
  // One guard for every pass: its endpoint copies (at most 1 s old) fill handed-off jobs, which
  // carry no URL or keys of their own, without a read per pass.
  const guard = new EndpointGuard(deps.db, deps.config)
  const pending = new PendingEndpoints()
  let current: Promise<void> | null = null
  let last: RunSummary | null = null
  let again = false
  let stopped = false

  /** claim: a wake (new due rows, or the poll) rather than only handed-off jobs. */
  const pass = (claim: boolean) => {
    if (stopped) return
    // One pass at a time; a wake during a pass asks for another one right after it.
    // The running pass may be waiting for a slot: poke it, so it claims the new rows (or takes
    // the handed-off jobs) at once.
    if (current) { if (claim) again = true; deps.limiter.poke(); return }
    current = (async () => {
      let claimFirst = claim
      last = null
      do {
        again = false
        try {
          // A wake during the pass is taken by the pass itself (it claims again at once), so
          // events committed while earlier ones are being sent do not wait for the pass to end.
          const takeWake = () => { const woken = again; again = false; return woken }
          last = await runDue(deps, {
            owner, leaseMs, budgetMs: PASS_BUDGET_MS, stopWhenEmpty: true, shouldStop: () => stopped, takeWake,
            handOff: desk, guard, pending, startDrained: !claimFirst,
          })
        } catch (err) {
          deps.log.error('delivery pass failed', { error: (err as Error).message })
        }
        // Jobs handed off after the pass decided to end are taken by a new pass (no claim then).
        claimFirst = again
      } while ((again || desk.waiting() > 0) && !stopped)
    })().finally(() => {
      current = null
      opts.onPass?.(last)
    })
  }

  const desk = new HandOffDesk({
    db: deps.db, clock: deps.clock, log: deps.log, limiter: deps.limiter, owner, leaseMs, lookAhead: deps.config.concurrency,
    onCommitted(handedOff, leftDue, dueEndpoints) {
      // Only these endpoints have new rows: the runner keeps what it knows of the others.
      if (dueEndpoints.size > 0) pending.touch(dueEndpoints)
      if (leftDue > 0) setImmediate(() => pass(true))
      // At once, not after setImmediate: the running pass (or a new one) takes the jobs on its
      // next turn, which comes after the ingest answers are written anyway (they resolve first).
      if (handedOff > 0) pass(false)
    },
  })

  // The poll and a plain wake (a redelivery, a replay) may find rows due anywhere: retries whose
  // time came, another process's rows. The runner reads its list and heads afresh for them.
  const wakeAll = () => { pending.forget(); pass(true) }
  const timer = setInterval(wakeAll, opts.pollMs ?? 1_000)
  timer.unref()

  return {
    // setImmediate: the ingest answer is sent first, then the first attempts start.
    wake: () => { setImmediate(wakeAll) },
    openHandOff: () => (stopped ? null : desk.open()),
    async stop() {
      stopped = true
      desk.close()
      clearInterval(timer)
      await current
      // Anything still leased by this process goes back, so another one can send it now
      // (handed-off jobs no pass took included: they are leased to this owner too).
      await releaseOwner(deps.db, owner, deps.clock.now()).catch(() => 0)
    },
  }
}
