// runDue: claim due deliveries, send them within the process's limits, record the results. Used by
// /tick (one bounded pass), the in-process loop (a pass per wake-up) and the worker (continuous).
// A receiver can never make this throw: every send ends as a recorded outcome. The in-process loop
// also passes its hand-off desk: jobs an ingest wrote already leased to this owner join the local
// queue without a claim (hand-off.ts) and obey the same limits and local wait as claimed ones.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { buildDeliveryHeaders } from '../signing/headers.js'
import { withCustomHeaders } from '../endpoints/custom-headers.js'
import { AckQueue } from './ack-queue.js'
import { LookAhead } from './look-ahead.js'
import { claimFair, FAIR_DEPTH, heldAtMost, leaseMsFor, type FairShare } from './claim.js'
import { EndpointGuard } from './endpoint-guard.js'
import { afterSend } from './outcome.js'
import { prepareJobs, type Job } from './prepare.js'
import { releaseClaims } from './release.js'
import { sendBoundMs } from './sender.js'
import { Turns } from './turns.js'
import type { HandOffDesk } from './hand-off.js'
import { MAX_AGE_MS, PendingEndpoints } from '../db/pending-endpoints.js'
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
  /**
   * The in-process loop's hand-off desk (hand-off.ts): jobs an ingest committed already leased to
   * this owner, taken into the local queue on every turn and started like claimed ones.
   */
  handOff?: HandOffDesk
  /** Start as if a claim had just found nothing: a pass woken only by hand-off does not claim. */
  startDrained?: boolean
  /** Kept by the caller across passes, so its endpoint copies (≤ 1 s old) serve the next pass too. */
  guard?: EndpointGuard
  /** Likewise the claims' list of endpoints with pending rows (≤ 1 s old; the caller touches or forgets it when rows are committed). */
  pending?: PendingEndpoints
}

export interface RunSummary {
  claimed: number
  succeeded: number
  retried: number
  failed: number
  /** Claims given back unsent (budget spent, stop requested, lease too close to its end). */
  released: number
  /** Jobs taken from hand-off (inserted leased to this owner by an ingest): sent without a claim. */
  handedOff: number
  duration_ms: number
}

/** host:pid:random — unique per runner, readable in the deliveries table. Fits lease_owner (80). */
export function newOwnerId(): string {
  return `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`
}

/** A claimed job that cannot start within this long (every slot busy) is given back. */
const LOCAL_WAIT_MS = 1_000
/**
 * Rounds of work a claim may take per user and endpoint behind the round being sent (claim.ts
 * FAIR_DEPTH, heldAtMost), less what this runner holds of them. Users or endpoints at their cap
 * with a send running STUCK_MS or more (e.g. hanging) get nothing.
 */
const DEPTH = FAIR_DEPTH
/**
 * A user or endpoint at its cap here is left out of claims once one of its sends has run this
 * long: rows claimed for it would wait past LOCAL_WAIT_MS and be given back. The DEPTH rounds
 * waiting behind the one being sent must clear within LOCAL_WAIT_MS, so a send may take
 * LOCAL_WAIT_MS / DEPTH. One at its cap with only younger sends is still claimed for (up to DEPTH
 * rounds, less what it holds): when every slot was skipped at its cap, a draining worker with one
 * busy user claimed only after a slot freed, and sent nothing while that claim's round trip lasted
 * (MariaDB drain: no send in flight in 30 % of 10 ms samples, 15 % since).
 */
const STUCK_MS = LOCAL_WAIT_MS / DEPTH

/**
 * How far a queue must have run down before a claim is worth its statements: half a round of the
 * cap, at least one. A claim has a fixed cost (on SQLite ~0.5–1.5 ms of the one thread: the lock,
 * the fair pick's reads, the lease, the commit); topping the queue up by one or two jobs after every
 * finished send made a saturated runner claim once per send (drain on SQLite: ~600/s at 1 core).
 */
export const refillAt = (cap: number) => Math.max(1, Math.floor(cap / 2))

export async function runDue(deps: EngineDeps, opts: RunOptions): Promise<RunSummary> {
  const t0 = performance.now()
  const { db, config, clock, log, limiter } = deps
  const leaseMs = opts.leaseMs ?? leaseMsFor(config.deliveryTimeoutMs)
  // Batches of 50–200 are where MariaDB claims stop being the bottleneck; a claim asks for twice
  // what is missing from the free slots plus the look-ahead, at most this many or the look-ahead
  // if that is larger.
  const batchSize = Math.min(200, Math.max(10, config.concurrency * 4))
  // At least two rounds of look-ahead: the next claim is asked for while a full round is still
  // held, so its round trip (a few ms, more when the database shares the cores) ends before the
  // slots run dry. With one round, a draining worker on MariaDB sat idle between claims: 6,050-6,120
  // deliveries/s against 6,400-6,450 with two (bench focus.ts --part=drain, alternating). More when
  // claims are slow beside the sends (many users waiting): look-ahead.ts.
  const ahead = new LookAhead(config.concurrency * 2, LOCAL_WAIT_MS)
  // A send starts only with its longest possible time (the lookup's deadline plus the request's
  // timeout, sendBoundMs) and a margin left on its lease, so it always ends before the lease does
  // and no other runner can be sending the same delivery at the same time. The default lease
  // (leaseMsFor: 3 × timeout + 30 s) leaves this with room: its half is 1.5 × timeout + 15 s.
  const startMargin = Math.min(sendBoundMs(config.deliveryTimeoutMs) + 5_000, leaseMs / 2)
  const idlePollMs = opts.idlePollMs ?? 500
  const summary: RunSummary = { claimed: 0, succeeded: 0, retried: 0, failed: 0, released: 0, handedOff: 0, duration_ms: 0 }
  const acks = new AckQueue(deps, (applied) => {
    for (const f of applied) {
      if (f.status === 'succeeded') summary.succeeded += 1
      else if (f.status === 'pending') summary.retried += 1
      else summary.failed += 1
    }
  })
  const guard = opts.guard ?? new EndpointGuard(db, config)
  // The caller that keeps one across passes tells it of new rows (scheduler.ts: touch, forget).
  // Without one (a worker, /tick) nothing here is told of other processes' rows: it reads the list
  // and the endpoints it found with nothing due again as often as it polls, so a row that is its
  // endpoint's oldest due waits no longer than the poll. A row behind an endpoint's cached heads
  // comes after them anyway; those are read again after MAX_AGE_MS.
  const pending = opts.pending ?? new PendingEndpoints(undefined, MAX_AGE_MS, Math.min(MAX_AGE_MS, idlePollMs))
  const desk = opts.handOff
  // Jobs claimed but not started, with when they were queued (wall ms). They wait only for a
  // global slot: a job whose user or endpoint is at its cap is given back at once, never parked.
  const local = new Map<Job, number>()
  const running = new Set<Promise<void>>()
  // Round-robin by user, then by endpoint, whatever order the rows came in (turns.ts).
  const turns = new Turns()
  // At most one claim (claimDue + prepareJobs) in flight, running beside the sends.
  let claiming: Promise<void> | null = null
  let drained = opts.startDrained ?? false
  let idleUntil = 0
  // Users and endpoints known to have due rows this process had no room for: left out by the last
  // claim while they had rows due (at their cap here), or refused by hand-off for want of a slot.
  // When one of THEIR sends ends, claim again. Other sends ending do not: with a hostile user's
  // backlog due and unclaimable, a claim after every healthy send would re-read that backlog hundreds
  // of times a second (on SQLite, on the one thread everything else runs on) and find nothing new.
  const waitingOn = new Set<string>()
  // While a claim is in flight: keys hand-off blocked (they stay waited on whatever the claim saw)
  // and waited-on keys whose send ended (a claim that left out someone who finished meanwhile, and
  // had rows due, is not "empty"), and whether a wake came (rows committed after the claim's read
  // began are not in its answer, so an empty answer does not make the loop idle).
  const blockedDuringClaim = new Set<string>()
  const finishedDuringClaim = new Set<string>()
  let wokenDuringClaim = false
  // What the last claim saw, when it saw every user with rows due: then it read every due row this
  // runner had room for, and until a wake (rows committed), only the users and endpoints it took
  // rows of or left out can have more due here. If each of them is at its cap again when the loop
  // would claim next, that claim can only leave them out and find nothing: it is put off until one
  // of their sends ends, or the poll. In the closed-loop ingest bench (MariaDB, one user at its cap
  // of 64) 106 of 330 claims were such, each ~7 statements (`bench/README.md`).
  let lastSeen: { pairs: [string, string][]; leftOut: Set<string> } | null = null
  let lastClaimAt = Number.NEGATIVE_INFINITY
  const nothingNewFor = (fair: FairShare) => {
    if (!lastSeen || performance.now() - lastClaimAt >= idlePollMs) return false
    const users = new Set(fair.skipUsers)
    const endpoints = new Set(fair.skipEndpoints)
    const skipped = (k: string) => (k.startsWith('u:') ? users.has(k.slice(2)) : endpoints.has(k.slice(2)))
    return lastSeen.pairs.every(([u, e]) => users.has(u) || endpoints.has(e)) && [...lastSeen.leftOut].every(skipped)
  }
  /**
   * A user (`u:id`) or endpoint (`e:id`) with rows due that this runner had no room for, learnt
   * between claims (hand-off blocked it, or a job of theirs was given back): wait on it, and a claim
   * may be put off only while it is at its cap too.
   */
  const waitOn = (key: string) => {
    waitingOn.add(key)
    lastSeen?.leftOut.add(key)
  }
  /**
   * A send of a waited-on user or endpoint ended: claim again only if this runner's queue for it
   * (claimed or handed off, not started) has run below refillAt of its cap. While that queue still
   * holds jobs, they start in the freed slots without a claim.
   */
  const worthClaimFor = (userId: string, endpointId: string) => {
    const forUser = waitingOn.has(`u:${userId}`)
    const forEndpoint = waitingOn.has(`e:${endpointId}`)
    if (!forUser && !forEndpoint) return false
    let user = desk?.reserved().users.get(userId) ?? 0
    let endpoint = desk?.reserved().endpoints.get(endpointId) ?? 0
    for (const queue of [local, prefetch]) {
      for (const j of queue.keys()) {
        if (j.claim.user_id === userId) user += 1
        if (j.claim.endpoint_id === endpointId) endpoint += 1
      }
    }
    return (forUser && user < refillAt(limiter.perUser)) || (forEndpoint && endpoint < refillAt(limiter.perEndpoint))
  }
  const stopping = () => performance.now() - t0 >= opts.budgetMs || (opts.shouldStop?.() ?? false)

  const giveBack = async (jobs: Job[], dueAt = clock.now()) => {
    if (jobs.length === 0) return
    for (const j of jobs) local.delete(j)
    // Their rows are due again (now or at dueAt): the next claim reads those endpoints afresh.
    pending.dropHeads(jobs.map((j) => j.claim.endpoint_id))
    try {
      summary.released += await releaseClaims(db, jobs.map((j) => j.claim), clock.now(), dueAt)
    } catch (err) {
      // Not fatal: the leases simply run out and the rows are due again then.
      log.warn('could not release claims', { error: (err as Error).message })
    }
  }

  const launch = (job: Job) => {
    local.delete(job)
    const { user_id: userId, endpoint_id: endpointId } = job.claim
    const slot = limiter.start(userId, endpointId, job.rate, clock.now())
    turns.started(job)
    const task = (async () => {
      let result: SendResult
      let startedAt = clock.now()
      let logged: Record<string, string> | null = null
      try {
        // The endpoint may have been deleted, paused, moved or re-keyed since the claim batch.
        const checked = await guard.check(job, startedAt)
        if ('skip' in checked) { acks.push(checked.skip); return }
        const current = checked.send
        startedAt = clock.now()
        const signed = buildDeliveryHeaders({ eventId: current.claim.event_id, eventType: current.claim.event_type, body: current.body, keys: current.keys, nowMs: startedAt })
        const headers = withCustomHeaders(signed, current.customHeaders)
        logged = headers.logged
        result = await deps.sender.send({ url: current.url, headers: headers.send, body: current.body, timeoutMs: config.deliveryTimeoutMs, tenant: userId })
      } catch (err) {
        result = { ok: false, statusCode: null, durationMs: 0, errorClass: 'error', error: `could not send: ${(err as Error).message}`, retryAfterMs: null, responseExcerpt: '' }
      } finally {
        limiter.finish(slot)
        ahead.finished()
        if (worthClaimFor(userId, endpointId)) {
          if (claiming) finishedDuringClaim.add(`u:${userId}`).add(`e:${endpointId}`)
          drained = false
          idleUntil = 0
        }
      }
      acks.push(afterSend(job.claim, result, startedAt, clock.now(), config, deps.random, job.claim.trigger, logged))
    })()
    running.add(task)
    void task.finally(() => running.delete(task))
  }

  /** Users and endpoints that cannot take one more job in this process right now. */
  const fairShare = (): FairShare => {
    const users = new Map<string, number>()
    const endpoints = new Map<string, number>()
    for (const j of local.keys()) {
      users.set(j.claim.user_id, (users.get(j.claim.user_id) ?? 0) + 1)
      endpoints.set(j.claim.endpoint_id, (endpoints.get(j.claim.endpoint_id) ?? 0) + 1)
    }
    // Slots an ingest has reserved for hand-off are taken, too: a claim must not fill them.
    const reserved = desk?.reserved()
    for (const [u, n] of reserved?.users ?? []) users.set(u, (users.get(u) ?? 0) + n)
    for (const [e, n] of reserved?.endpoints ?? []) endpoints.set(e, (endpoints.get(e) ?? 0) + n)
    // And the sends in flight: all of it is what this runner uses of each cap (FairShare.used).
    for (const u of limiter.busyUsers()) users.set(u, (users.get(u) ?? 0) + limiter.userBusy(u))
    for (const e of limiter.busyEndpoints()) endpoints.set(e, (endpoints.get(e) ?? 0) + limiter.endpointBusy(e))
    const perUser = heldAtMost(limiter.perUser)
    const perEndpoint = heldAtMost(limiter.perEndpoint)
    const skipUsers = new Set(limiter.stuckUsers(STUCK_MS))
    for (const [u, n] of users) if (n >= perUser) skipUsers.add(u)
    const skipEndpoints = new Set([...limiter.stuckEndpoints(STUCK_MS), ...limiter.rateLimitedEndpoints(clock.now())])
    for (const [e, n] of endpoints) if (n >= perEndpoint) skipEndpoints.add(e)
    return { perUser, perEndpoint, skipUsers: [...skipUsers], skipEndpoints: [...skipEndpoints], used: { users, endpoints }, pending }
  }

  const claimAhead = () => {
    const fair = fairShare()
    if (nothingNewFor(fair)) {
      // Wait on them as on left-out ones: one of their sends ending (worthClaimFor) asks again.
      for (const [u] of lastSeen!.pairs) waitingOn.add(`u:${u}`)
      idleUntil = lastClaimAt + idlePollMs
      return
    }
    lastClaimAt = performance.now()
    const lookAhead = ahead.size()
    const limit = Math.min(Math.max(batchSize, lookAhead), Math.max(1, limiter.total + lookAhead - limiter.busy - ready - (desk?.reserved().total ?? 0)) * 2)
    // Until the claim says who had rows due, wait on everyone it leaves out: a send of theirs that
    // ends meanwhile makes the next claim worth its read.
    const leaving = [...fair.skipUsers.map((u) => `u:${u}`), ...fair.skipEndpoints.map((e) => `e:${e}`)]
    waitingOn.clear()
    for (const k of leaving) waitingOn.add(k)
    blockedDuringClaim.clear()
    finishedDuringClaim.clear()
    wokenDuringClaim = false
    claiming = (async () => {
      try {
        const { claims, leftOut, deeper } = await claimFair(db, { owner: opts.owner, nowMs: clock.now(), limit, leaseMs, fair })
        // Then only on those with rows due (and those hand-off refused meanwhile): a healthy
        // endpoint left out because its one request was in flight, with nothing behind it, wakes
        // no claim when that request ends.
        for (const k of leaving) if (!leftOut.has(k) && !blockedDuringClaim.has(k)) waitingOn.delete(k)
        summary.claimed += claims.length
        // A full claim saw everyone too if it got past the first round: the fair pick takes every
        // user's first row before anyone's second (claim.ts), so no user with room was cut off.
        // Not when it left rows past the depth it read everyone to (due-heads.ts): those users have more.
        const sawEveryone = !deeper && (claims.length < limit || claims.length > new Set(claims.map((c) => c.user_id)).size)
        lastSeen = sawEveryone && !wokenDuringClaim
          ? { pairs: claims.map((c) => [c.user_id, c.endpoint_id] as [string, string]), leftOut: new Set(leftOut) }
          : null
        drained = claims.length === 0 && !wokenDuringClaim && ![...finishedDuringClaim].some((k) => waitingOn.has(k))
        if (drained) idleUntil = performance.now() + idlePollMs
        const { jobs, unsendable } = await prepareJobs(db, claims, config, clock.now())
        ahead.claimed(performance.now() - lastClaimAt)
        acks.push(...unsendable)
        const at = performance.now()
        for (const j of jobs) local.set(j, at)
      } catch (err) {
        // A busy database (deadlock victim, locked SQLite file, lost connection): wait and poll
        // again. Rows claimed before a prepare failed keep their lease and are due when it ends.
        log.warn('could not claim deliveries', { error: (err as Error).message })
        lastSeen = null
        drained = true
        idleUntil = performance.now() + idlePollMs
      }
    })().finally(() => { claiming = null })
  }

  // Held jobs that only wait for a global slot (their user and endpoint have room): a claim is
  // needed only when these do not fill the free slots plus the look-ahead. Jobs held for their own
  // user's or endpoint's sends do not count, so they can never stop others' rows being claimed.
  // Only once the look-ahead has run down by refillAt of it, so claims come in batches, not one
  // per finished send.
  let ready = 0
  const mayClaim = () => {
    const lookAhead = ahead.size()
    return claiming === null && !stopping() && limiter.busy + ready + (desk?.reserved().total ?? 0) <= limiter.total + lookAhead - refillAt(lookAhead) &&
      !(drained && opts.stopWhenEmpty) && performance.now() >= idleUntil
  }

  /**
   * Starts what can start, in turns. A job whose user or endpoint is at its cap here waits for its
   * own user's sends at most LOCAL_WAIT_MS, then is given back (due now, for any process); one
   * over its endpoint's rate limit is given back due when the window allows it.
   */
  const startReady = async () => {
    ready = 0
    const now = clock.now()
    const wallNow = performance.now()
    // Each free slot to the job whose turn it is (turns.ts); jobs too close to their lease's end
    // are given back below instead.
    const startable = (job: Job) => job.claim.leaseUntil - now >= startMargin && limiter.canStart(job.claim.user_id, job.claim.endpoint_id, job.rate, now)
    while (limiter.hasRoom()) {
      const job = turns.next(local.keys(), startable)
      if (!job) break
      launch(job)
    }
    // What could not start: give back, put off (rate limit) or count as ready for the next slot.
    const release: Job[] = []
    const later = new Map<number, Job[]>()
    for (const job of local.keys()) {
      const { user_id: userId, endpoint_id: endpointId } = job.claim
      if (job.claim.leaseUntil - now < startMargin) { release.push(job); continue }
      const ownRoom = limiter.userBusy(userId) < limiter.perUser && limiter.endpointBusy(endpointId) < limiter.perEndpoint
      const rateWait = job.rate ? limiter.rateWaitMs(endpointId, job.rate, now) : 0
      if (ownRoom && rateWait > 0) {
        // Over its rate limit: due again when the window lets one more through.
        const dueAt = now + rateWait
        later.set(dueAt, [...(later.get(dueAt) ?? []), job])
      } else if (wallNow - local.get(job)! > LOCAL_WAIT_MS) release.push(job)
      else if (ownRoom) ready += 1
    }
    // A row given back is due now, but its user or endpoint is still at its cap here: claim again
    // when one of their sends ends, as for a row a claim left out. Before, a pass that had found
    // nothing due left it to the poll (1 s in the web process; a worker's idle poll), so under a
    // slow receiver one of five deliveries of a user with one slot waited a whole poll.
    for (const job of release) {
      waitOn(`u:${job.claim.user_id}`)
      waitOn(`e:${job.claim.endpoint_id}`)
    }
    await giveBack(release)
    for (const [dueAt, jobs] of later) await giveBack(jobs, dueAt)
  }

  /**
   * Handed-off jobs join the local queue as if just claimed (their lease began at the insert). They
   * carry no URL or keys: the guard fills them first (from its copy, or one read by primary key),
   * before the job may take a slot, so a slot is never held waiting for the database; at launch
   * the guard then finds the copy fresh and reads nothing.
   */
  const prefetch = new Map<Job, number>()
  const intake = () => {
    // Rows an ingest left due because their user or endpoint had no free slot here: claim them
    // when one of those sends ends (the desk does not wake the loop for them).
    for (const key of desk?.takeBlocked() ?? []) {
      waitOn(key)
      if (claiming) blockedDuringClaim.add(key)
    }
    if (!desk || desk.waiting() === 0) return
    for (const job of desk.take()) {
      summary.handedOff += 1
      prefetch.set(job, performance.now())
      void guard.check(job, clock.now())
        .then((checked) => {
          if ('skip' in checked) acks.push(checked.skip)
          else local.set(checked.send, prefetch.get(job)!)
        }, () => { local.set(job, prefetch.get(job)!) }) // launch checks again and records any failure
        // The poke ends the loop's wait, even one it has not begun yet (the turn's mark).
        .finally(() => { prefetch.delete(job); limiter.poke() })
    }
  }

  // The desk counts what this pass holds (queued, or being filled in) against its room.
  desk?.bindHeld([local, prefetch])
  try {
    while (true) {
      if (stopping()) {
        // A claim still in flight lands in `local` first, so its rows are given back too and do not
        // sit leased until their lease runs out. Handed-off jobs waiting for this pass likewise.
        if (claiming) await claiming
        intake()
        if (prefetch.size > 0) { await limiter.changed(50); continue }
        await giveBack([...local.keys()])
        if (running.size === 0) break
        await Promise.race(running)
        continue
      }
      // Anything signalled from here on (a wake, a hand-off, a send ending) ends the wait below at
      // once, even if it came while this turn was awaiting the database.
      const seen = limiter.mark()
      if (opts.takeWake?.()) {
        drained = false
        idleUntil = 0
        lastSeen = null
        if (claiming) wokenDuringClaim = true
      }
      // Handed-off jobs start first, before a claim's statements take the connection.
      intake()
      await startReady()
      if (mayClaim()) claimAhead()
      intake()
      if (opts.stopWhenEmpty && drained && claiming === null && local.size === 0 && running.size === 0 && prefetch.size === 0 && (desk?.waiting() ?? 0) === 0) break
      if (mayClaim() || (desk?.waiting() ?? 0) > 0) continue
      const untilPoll = idleUntil - performance.now()
      if (running.size > 0 || local.size > 0 || claiming || prefetch.size > 0) {
        // Wake on whichever comes first: a send finishing (a slot is free), the claim landing, or
        // a hand-off (the desk pokes the limiter).
        const changed = limiter.changed(untilPoll > 0 ? Math.max(5, Math.min(LOCAL_WAIT_MS, untilPoll)) : LOCAL_WAIT_MS, seen)
        await (claiming ? Promise.race([changed, claiming]) : changed)
      } else {
        const ms = Math.max(5, Math.min(untilPoll, idlePollMs))
        await (desk ? limiter.changed(ms, seen) : sleep(ms))
      }
    }
  } finally {
    desk?.bindHeld([])
  }
  await acks.drain()
  summary.duration_ms = Math.round(performance.now() - t0)
  return summary
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
