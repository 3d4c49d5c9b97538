// In-flight limits for one process: config.concurrency sends in total, config.userConcurrency per
// user and config.endpointConcurrency per endpoint, so one user's slow receiver cannot take every
// slot and one endpoint cannot take its user's whole share. Shared by everything that sends in the
// process (the in-process loop, /tick, the worker, test sends), hence one limiter per process,
// built in deps.ts. Per-endpoint rate limits (deliveries per second or minute) are checked here
// too; their windows are rate-windows.ts.
//
// The global cap counts sends that are working, not ones left waiting on a receiver that does not
// answer: a send still waiting after WAITING_AFTER_MS moves to a second, larger set (4 × the
// global cap) and frees its global slot. A user whose receivers hang would otherwise hold 2 of the
// 4 slots for the whole timeout and halve what the process sends for everyone else (noisy-neighbour
// bench at 300 ev/s: the normal users' deliveries queued for the two slots left, p99 up to 2.8× that
// of the same run without the noisy user; with 2 more slots, at the quiet level in four runs of
// four). A waiting send still counts against its user's and its endpoint's caps, so a
// hostile user gains nothing by it, and the second set is bounded: once it is full, a send that
// runs long keeps its global slot as before.

import { RateWindows, type RateLimit } from './rate-windows.js'
import { WakeSignal } from './wake-signal.js'

/** A send still without an answer after this long stops holding a global slot (see above). */
export const WAITING_AFTER_MS = 500

/** The global cap never yields below this many sends to a busy front door (see yieldTo). */
export const YIELD_FLOOR = 4

/** One send's hold on the limiter, from start() to finish(). */
export interface Slot {
  readonly userId: string
  readonly endpointId: string | undefined
  /** performance.now() at start. */
  readonly at: number
  /** Moved to the waiting set: no longer counted against the global cap. */
  waiting: boolean
}

export interface WaitingLane {
  afterMs: number
  /** How many sends may wait outside the global cap at once (0: none, the cap counts every send). */
  size: number
}

export class SendLimiter {
  /** Sends holding a global slot, in the order they started (oldest first). */
  private readonly active = new Set<Slot>()
  private waitingCount = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  readonly lane: WaitingLane
  private readonly byUser = new Map<string, number>()
  private readonly byEndpoint = new Map<string, number>()
  private readonly rates = new RateWindows()
  private readonly wake = new WakeSignal()

  /** Events waiting at this process's front door to be stored (see yieldTo). */
  private frontDoor: () => number = () => 0

  constructor(readonly cap: number, readonly perUser: number, readonly perEndpoint: number = Math.min(perUser, 1), lane?: WaitingLane) {
    this.lane = lane ?? { afterMs: WAITING_AFTER_MS, size: cap * 4 }
  }

  /**
   * The global cap now: `cap`, less two slots for each event waiting at the front door, down to
   * YIELD_FLOOR (or `cap` if that is lower). See yieldTo.
   */
  get total(): number {
    const waiting = this.frontDoor()
    return waiting <= 0 ? this.cap : Math.max(Math.min(this.cap, YIELD_FLOOR), this.cap - 2 * waiting)
  }

  /**
   * Sends yield to ingest. Both run on this process's one thread, and when the front door is busier
   * than the thread can serve, every send started is CPU the waiting requests do not get. The
   * bridge's POST holds up the mail pipeline; a delivery held back a moment is already stored and
   * leaves when the front door is quiet again (the rows wait in the database, not in memory). So
   * each event waiting to be stored takes two slots off the global cap. Closed-loop ingest on
   * MariaDB with 64 slots (bench focus.ts, 64 requests in flight): ~1,900 events/s as it was,
   * 2,700-2,780 with one slot per waiting event, 3,090-3,210 with two, 3,420 with a fixed 4; at an
   * offered 1,000 events/s only 5-10 events wait at a time, so the cap stays near 50 there. With the
   * default cap (4) nothing changes.
   */
  yieldTo(waiting: () => number): void {
    this.frontDoor = waiting
  }

  /** Sends holding a global slot. */
  get busy(): number {
    return this.active.size
  }

  /** Sends that have waited past lane.afterMs and no longer hold a global slot. */
  get waiting(): number {
    return this.waitingCount
  }

  hasRoom(): boolean {
    return this.active.size < this.total
  }

  userBusy(userId: string): number {
    return this.byUser.get(userId) ?? 0
  }

  endpointBusy(endpointId: string): number {
    return this.byEndpoint.get(endpointId) ?? 0
  }

  /** Users and endpoints with a send in flight here (a claim counts them against their caps). */
  busyUsers(): IterableIterator<string> {
    return this.byUser.keys()
  }

  busyEndpoints(): IterableIterator<string> {
    return this.byEndpoint.keys()
  }

  /**
   * Users with every one of their slots in use in this process and at least one send running for
   * olderThanMs or more (one moved to the waiting set counts too): a claim skips their rows. A user
   * whose slots are all taken by sends that started moments ago is not skipped: its receivers
   * answer, the slots free again within milliseconds, and rows claimed now are ready for them.
   */
  stuckUsers(olderThanMs: number): string[] {
    return this.stuck(this.byUser, this.perUser, (s) => s.userId, olderThanMs)
  }

  stuckEndpoints(olderThanMs: number): string[] {
    return this.stuck(this.byEndpoint, this.perEndpoint, (s) => s.endpointId, olderThanMs)
  }

  private stuck(counts: Map<string, number>, cap: number, keyOf: (s: Slot) => string | undefined, olderThanMs: number): string[] {
    const atCap = [...counts].filter(([, n]) => n >= cap)
    if (atCap.length === 0) return []
    // Sends that started after the cutoff, per key; a key with fewer of those than sends in all
    // has an older one (or one in the waiting set, which is older still).
    const cutoff = performance.now() - olderThanMs
    const young = new Map<string, number>()
    for (const slot of this.active) {
      const key = keyOf(slot)
      if (slot.at > cutoff && key !== undefined) young.set(key, (young.get(key) ?? 0) + 1)
    }
    return atCap.filter(([k, n]) => (young.get(k) ?? 0) < n).map(([k]) => k)
  }

  /** Endpoints whose rate limit lets nothing more start right now: a claim skips their rows. */
  rateLimitedEndpoints(nowMs = Date.now()): string[] {
    return this.rates.limited(nowMs)
  }

  canStart(userId: string, endpointId?: string, rate?: RateLimit | null, nowMs = Date.now()): boolean {
    if (this.active.size >= this.total || this.userBusy(userId) >= this.perUser) return false
    if (endpointId === undefined) return true
    if (this.endpointBusy(endpointId) >= this.perEndpoint) return false
    return !rate || this.rateWaitMs(endpointId, rate, nowMs) === 0
  }

  /** How long until the endpoint's rate limit lets one more start (0: now). */
  rateWaitMs(endpointId: string, rate: RateLimit, nowMs = Date.now()): number {
    return this.rates.waitMs(endpointId, rate, nowMs)
  }

  start(userId: string, endpointId?: string, rate?: RateLimit | null, nowMs = Date.now()): Slot {
    const slot: Slot = { userId, endpointId, at: performance.now(), waiting: false }
    this.active.add(slot)
    this.byUser.set(userId, this.userBusy(userId) + 1)
    if (endpointId !== undefined) {
      this.byEndpoint.set(endpointId, this.endpointBusy(endpointId) + 1)
      if (rate) this.rates.record(endpointId, rate, nowMs)
    }
    this.watch()
    return slot
  }

  finish(slot: Slot): void {
    if (slot.waiting) {
      this.waitingCount -= 1
      slot.waiting = false
      // Room in the waiting set again: a send that ran long meanwhile may move there now (the
      // poke below tells whoever waits for a slot).
      this.moveWaiting()
    } else if (!this.active.delete(slot)) return
    dec(this.byUser, slot.userId)
    if (slot.endpointId !== undefined) dec(this.byEndpoint, slot.endpointId)
    this.poke()
  }

  /**
   * One timer for the whole limiter, due when the oldest working send reaches lane.afterMs: per-send
   * timers would cost one setTimeout per delivery for the rare send that runs long.
   */
  private watch(): void {
    if (this.timer !== null || this.waitingCount >= this.lane.size) return
    const oldest = this.active.values().next().value
    if (oldest === undefined) return
    this.timer = setTimeout(() => {
      this.timer = null
      // A global slot is free: whoever waits for one looks again.
      if (this.moveWaiting()) this.poke()
    }, Math.max(0, oldest.at + this.lane.afterMs - performance.now()))
    // A send in flight keeps the process alive by itself; this timer must not.
    this.timer.unref?.()
  }

  /** Moves the sends past lane.afterMs, while the waiting set has room. True if any moved. */
  private moveWaiting(): boolean {
    const cutoff = performance.now() - this.lane.afterMs
    let moved = false
    // `active` iterates in start order, so the first send younger than the cutoff ends the scan.
    for (const slot of this.active) {
      if (slot.at > cutoff || this.waitingCount >= this.lane.size) break
      this.active.delete(slot)
      slot.waiting = true
      this.waitingCount += 1
      moved = true
    }
    this.watch()
    return moved
  }

  /** Wakes everything waiting in changed() now (new work was signalled: look again). */
  poke(): void {
    this.wake.poke()
  }

  /**
   * Takes a slot for one send, waiting up to maxWaitMs for one to free (test sends). The slot when
   * taken (the caller must then call finish() with it); null when the wait ran out.
   */
  async acquire(userId: string, endpointId: string, maxWaitMs: number): Promise<Slot | null> {
    const until = Date.now() + maxWaitMs
    while (!this.canStart(userId, endpointId)) {
      const left = until - Date.now()
      if (left <= 0) return null
      await this.changed(Math.min(left, 1000))
    }
    return this.start(userId, endpointId)
  }

  /** See WakeSignal (wake-signal.ts): mark() before looking at work, changed(ms, mark) to wait. */
  mark(): number {
    return this.wake.mark()
  }

  /** Resolves when any send in this process finishes or work is signalled (or after maxWaitMs). */
  changed(maxWaitMs = 1000, since?: number): Promise<void> {
    return this.wake.changed(maxWaitMs, since)
  }
}

function dec(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 1) - 1
  if (n <= 0) map.delete(key)
  else map.set(key, n)
}
