// Hand-off: the process that commits an event already knows its deliveries, so it starts them
// itself instead of committing due rows and then claiming them back (claim.ts: a window query and
// an UPDATE between commit and send). An ingest transaction asks this desk, before its insert,
// which new rows this process has room for; those rows are written ALREADY LEASED to the runner
// (lease_owner = its owner id, next_attempt_at = now + lease: exactly what a claim would have
// written), and after the COMMIT they are handed to the running loop in memory.
//
// The lease stays the crash net (docs/decisions/0002): if this process dies, the rows are due again
// when the lease ends and any runner or /tick sends them, with the same webhook-id (the event id).
//
// Capacity is reserved before the insert, not checked after the commit: a row written leased but
// with no slot to go to would sit unsent until the runner gave it back (one more write), and meanwhile
// a claim could fill the slots it was counted against. The reservation is bounded as a claim is
// (claim.ts heldAtMost per user and endpoint), with free global slots plus one round of
// look-ahead where the runner's claims keep two (runner.ts), and users or endpoints with no free slot at all, or over their rate limit, get
// nothing: their rows stay ordinary due rows for the claim path, so a noisy user's hanging
// endpoints gain nothing through hand-off. A handed-off job that cannot start within the runner's
// local wait is given back like a claimed one (runner.ts, release.ts).
import type { Clock } from '../clock.js'
import type { Db } from '../db/connect.js'
import type { Logger } from '../log.js'
import { heldAtMost, type Claim } from './claim.js'
import type { SendLimiter } from './limiter.js'
import type { Job } from './prepare.js'
import { releaseClaims } from './release.js'
import type { HandOff, HandOffCandidate, HandOffLease } from './types.js'

export interface HandOffDeskOptions {
  db: Db
  clock: Clock
  log: Logger
  limiter: SendLimiter
  /** The runner's lease owner id and lease length: handed-off rows carry exactly these. */
  owner: string
  leaseMs: number
  /** Jobs beyond the free global slots that may be handed off: one round, half the runner's claim look-ahead. */
  lookAhead: number
  /**
   * After a commit: `handedOff` jobs wait in the inbox (start the loop if it is not running), and
   * `leftDue` rows were written due for the claim path (wake it). `dueEndpoints`: the endpoints
   * of every row written due, those refused for want of their own slot included (the runner's
   * remembered heads of those endpoints no longer hold their first rows).
   */
  onCommitted(handedOff: number, leftDue: number, dueEndpoints: ReadonlySet<string>): void
}

/** A reserved delivery: its id, whose it is and where it goes. */
type Slot = Pick<Claim, 'id' | 'user_id' | 'endpoint_id'>
type Counts = { users: Map<string, number>; endpoints: Map<string, number>; total: number }

export class HandOffDesk {
  /** Reserved by open tickets or waiting in the inbox: not yet in the runner's own queue. */
  private readonly pending: Counts = { users: new Map(), endpoints: new Map(), total: 0 }
  /** The same reservations one by one (user, endpoint), for the global-slot count. */
  private readonly reservedRows = new Map<string, Slot>()
  private inbox: Job[] = []
  /** The running pass's queue of jobs held but not started (runner.ts binds it). */
  private held: readonly ReadonlyMap<Job, number>[] = []
  private closed = false
  /** See takeBlocked(). */
  private readonly blocked = new Set<string>()

  constructor(private readonly o: HandOffDeskOptions) {}

  /** A ticket for one ingest transaction, or null once the loop has stopped. */
  open(): HandOff | null {
    return this.closed ? null : new Ticket(this)
  }

  /** The runner takes the committed jobs into its own queue (they count there from now on). */
  take(): Job[] {
    const jobs = this.inbox
    this.inbox = []
    for (const j of jobs) this.unreserve(j.claim)
    return jobs
  }

  waiting(): number {
    return this.inbox.length
  }

  /** Reserved and waiting jobs per user and endpoint: a claim leaves room for them. */
  reserved(): { users: ReadonlyMap<string, number>; endpoints: ReadonlyMap<string, number>; total: number } {
    return this.pending
  }

  bindHeld(held: readonly ReadonlyMap<Job, number>[]): void {
    this.held = held
  }

  /** No more tickets; jobs committed from now on are given back at once (no runner will start them). */
  close(): void {
    this.closed = true
  }

  /**
   * Called synchronously by Ticket.plan: which candidates fit, with their slots reserved, and how
   * many of the others were refused only because their user or endpoint has no free slot here.
   */
  reserve(rows: readonly HandOffCandidate[]): { leases: (HandOffLease | null)[]; blocked: number } {
    const { limiter, clock, owner, leaseMs, lookAhead } = this.o
    if (this.closed) return { leases: rows.map(() => null), blocked: 0 }
    let blocked = 0
    const block = (key: string) => {
      this.blocked.add(key)
      blocked += 1
      return null
    }
    const now = clock.now()
    const lease: HandOffLease = { owner, leaseUntil: now + leaseMs }
    // What this process already holds: sending (limiter), queued in the runner, reserved here.
    const users = new Map(this.pending.users)
    const endpoints = new Map(this.pending.endpoints)
    const held = this.held.flatMap((m) => [...m.keys()])
    for (const j of held) {
      users.set(j.claim.user_id, (users.get(j.claim.user_id) ?? 0) + 1)
      endpoints.set(j.claim.endpoint_id, (endpoints.get(j.claim.endpoint_id) ?? 0) + 1)
    }
    // Against the global slots count only the jobs that wait for nothing but a global slot (their
    // user and endpoint have room), as the runner's claim look-ahead does: jobs queued behind their
    // own user's sends must never stop other users' deliveries being handed off.
    const readyUsers = new Map<string, number>()
    const readyEndpoints = new Map<string, number>()
    let ready = 0
    const countReady = (userId: string, endpointId: string) => {
      const u = readyUsers.get(userId) ?? 0
      const e = readyEndpoints.get(endpointId) ?? 0
      if (limiter.userBusy(userId) + u >= limiter.perUser || limiter.endpointBusy(endpointId) + e >= limiter.perEndpoint) return
      readyUsers.set(userId, u + 1)
      readyEndpoints.set(endpointId, e + 1)
      ready += 1
    }
    for (const j of held) countReady(j.claim.user_id, j.claim.endpoint_id)
    for (const r of this.reservedRows.values()) countReady(r.user_id, r.endpoint_id)
    const perUser = heldAtMost(limiter.perUser)
    const perEndpoint = heldAtMost(limiter.perEndpoint)
    const leases = rows.map((r): HandOffLease | null => {
      const userBusy = limiter.userBusy(r.user_id)
      const endpointBusy = limiter.endpointBusy(r.endpoint_id)
      // No free slot for the user at all (e.g. every one on a hanging receiver): the claim path
      // skips them too, and the loop claims them when one of those sends ends, not on this commit
      // (blocked). An endpoint busy with its own cap (default 1 in flight) while its user has room
      // gets one more round held behind it: a healthy endpoint answers in milliseconds, and its
      // next event should not take the claim path (a claim transaction more per delivery) only
      // because the previous one was still in flight. Behind a hanging one, the held job is given
      // back after the runner's local wait, as any other.
      // These come before the global check: a row refused there wakes a claim at once, and a
      // claim skips a user or endpoint with no free slot, so for their rows it would find nothing
      // (noisy-neighbour bench, SQLite: ~290 empty claims in 15 s, one per noisy event).
      if (userBusy >= limiter.perUser) return block(`u:${r.user_id}`)
      const userHeld = users.get(r.user_id) ?? 0
      const endpointHeld = endpoints.get(r.endpoint_id) ?? 0
      if (endpointBusy >= limiter.perEndpoint && endpointHeld >= limiter.perEndpoint) return block(`e:${r.endpoint_id}`)
      if (limiter.busy + ready >= limiter.total + lookAhead) return null
      if (userBusy + userHeld >= perUser || endpointBusy + endpointHeld >= perEndpoint) return null
      // A rate-limited endpoint gets at most one job ahead, and only while its window has room.
      if (r.rate && (endpointHeld > 0 || limiter.rateWaitMs(r.endpoint_id, r.rate, now) > 0)) return null
      users.set(r.user_id, userHeld + 1)
      endpoints.set(r.endpoint_id, endpointHeld + 1)
      countReady(r.user_id, r.endpoint_id)
      this.count(r, 1)
      return lease
    })
    return { leases, blocked }
  }

  /**
   * Users (`u:id`) and endpoints (`e:id`) whose rows were written due because every one of their
   * slots here was busy; the runner claims again when one of their sends ends. Taken once.
   */
  takeBlocked(): string[] {
    const keys = [...this.blocked]
    this.blocked.clear()
    return keys
  }

  /** Called by Ticket.commit after the COMMIT: the jobs go to the loop (reservations stay until taken). */
  accept(jobs: Job[], leftDue: number, dueEndpoints: Set<string>): void {
    if (this.closed && jobs.length > 0) {
      // The loop stopped while this transaction ran: give the rows back now rather than leave
      // them leased until the lease ends.
      for (const j of jobs) this.unreserve(j.claim)
      void releaseClaims(this.o.db, jobs.map((j) => j.claim), this.o.clock.now()).catch((err) => {
        this.o.log.warn('could not give back handed-off deliveries', { error: (err as Error).message })
      })
      for (const j of jobs) dueEndpoints.add(j.claim.endpoint_id)
      jobs = []
    }
    this.inbox.push(...jobs)
    if (jobs.length > 0 || leftDue > 0 || dueEndpoints.size > 0) this.o.onCommitted(jobs.length, leftDue, dueEndpoints)
  }

  unreserve(c: Slot): void {
    if (this.reservedRows.delete(c.id)) this.count(c, -1)
  }

  private count(c: Slot, by: 1 | -1): void {
    if (by > 0) this.reservedRows.set(c.id, { id: c.id, user_id: c.user_id, endpoint_id: c.endpoint_id })
    bump(this.pending.users, c.user_id, by)
    bump(this.pending.endpoints, c.endpoint_id, by)
    this.pending.total += by
  }
}

class Ticket implements HandOff {
  private planned: { row: HandOffCandidate; lease: HandOffLease }[] = []
  private candidates = 0
  /** Candidates refused for want of a slot of their own user or endpoint: no wake for them. */
  private blocked = 0
  /** Endpoints of the candidates not handed off: their rows are written due. */
  private readonly dueEndpoints = new Set<string>()
  private done = false

  constructor(private readonly desk: HandOffDesk) {}

  plan(rows: readonly HandOffCandidate[]): (HandOffLease | null)[] {
    if (this.done) return rows.map(() => null)
    const { leases, blocked } = this.desk.reserve(rows)
    this.candidates += rows.length
    this.blocked += blocked
    rows.forEach((row, i) => {
      const lease = leases[i]
      if (lease) this.planned.push({ row, lease })
      else this.dueEndpoints.add(row.endpoint_id)
    })
    return leases
  }

  commit(): void {
    if (this.done) return
    this.done = true
    const jobs = this.planned.map(({ row, lease }) => handedOffJob(row, lease))
    this.desk.accept(jobs, this.candidates - jobs.length - this.blocked, this.dueEndpoints)
  }

  cancel(): void {
    if (this.done) return
    this.done = true
    for (const { row } of this.planned) this.desk.unreserve(row)
  }
}

/**
 * The job the runner would have built from a claim, without reading anything back: the payload
 * is the one just stored. The endpoint's URL, keys and custom headers are left for the runner's
 * EndpointGuard to fill when the runner takes the job, before it may take a slot (version -1 never
 * matches, so it always looks: from its copy of at most 1 s, or one read by primary key), which
 * also catches an endpoint changed meanwhile.
 */
function handedOffJob(row: HandOffCandidate, lease: HandOffLease): Job {
  const claim: Claim = {
    id: row.id, event_id: row.event_id, endpoint_id: row.endpoint_id, user_id: row.user_id, event_type: row.event_type,
    attempts: 0, owner: lease.owner, leaseUntil: lease.leaseUntil, trigger: 'scheduled', manualAttempts: 0, resumeAt: null,
  }
  return { claim, url: '', body: row.payload, keys: [], customHeaders: {}, rate: row.rate, version: -1, readAt: Number.NEGATIVE_INFINITY }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by
  if (n <= 0) map.delete(key)
  else map.set(key, n)
}
