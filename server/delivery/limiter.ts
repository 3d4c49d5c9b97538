// In-flight limits for one process: config.concurrency sends in total, config.userConcurrency per
// user and config.endpointConcurrency per endpoint, so one user's slow receiver cannot take every
// slot and one endpoint cannot take its user's whole share. Shared by everything that sends in the
// process (the in-process loop, /tick, the worker, test sends), hence one limiter per process,
// built in deps.ts. Per-endpoint rate limits (deliveries per second or minute) are kept here too,
// as a sliding window of start times.

export interface RateLimit {
  per: 'second' | 'minute'
  max: number
}

const WINDOW_MS = { second: 1_000, minute: 60_000 } as const

export class SendLimiter {
  private inFlight = 0
  private readonly byUser = new Map<string, number>()
  private readonly byEndpoint = new Map<string, number>()
  /** Start times inside the current window, per rate-limited endpoint. */
  private readonly starts = new Map<string, { rate: RateLimit; at: number[] }>()
  private waiters: (() => void)[] = []
  private pokes = 0

  constructor(readonly total: number, readonly perUser: number, readonly perEndpoint: number = Math.min(perUser, 1)) {}

  get busy(): number {
    return this.inFlight
  }

  hasRoom(): boolean {
    return this.inFlight < this.total
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

  /** Users with every one of their slots in use in this process: a claim skips their rows. */
  saturatedUsers(): string[] {
    return [...this.byUser].filter(([, n]) => n >= this.perUser).map(([u]) => u)
  }

  saturatedEndpoints(): string[] {
    return [...this.byEndpoint].filter(([, n]) => n >= this.perEndpoint).map(([e]) => e)
  }

  /** Endpoints whose rate limit lets nothing more start right now: a claim skips their rows. */
  rateLimitedEndpoints(nowMs = Date.now()): string[] {
    return [...this.starts].filter(([id, e]) => this.rateWaitMs(id, e.rate, nowMs) > 0).map(([id]) => id)
  }

  canStart(userId: string, endpointId?: string, rate?: RateLimit | null, nowMs = Date.now()): boolean {
    if (this.inFlight >= this.total || this.userBusy(userId) >= this.perUser) return false
    if (endpointId === undefined) return true
    if (this.endpointBusy(endpointId) >= this.perEndpoint) return false
    return !rate || this.rateWaitMs(endpointId, rate, nowMs) === 0
  }

  /** How long until the endpoint's rate limit lets one more start (0: now). */
  rateWaitMs(endpointId: string, rate: RateLimit, nowMs = Date.now()): number {
    const list = this.starts.get(endpointId)?.at
    if (!list) return 0
    const windowMs = WINDOW_MS[rate.per]
    while (list.length > 0 && list[0]! <= nowMs - windowMs) list.shift()
    if (list.length === 0) this.starts.delete(endpointId)
    return list.length < rate.max ? 0 : list[list.length - rate.max]! + windowMs - nowMs
  }

  start(userId: string, endpointId?: string, rate?: RateLimit | null, nowMs = Date.now()): void {
    this.inFlight += 1
    this.byUser.set(userId, this.userBusy(userId) + 1)
    if (endpointId !== undefined) {
      this.byEndpoint.set(endpointId, this.endpointBusy(endpointId) + 1)
      if (rate) {
        const entry = this.starts.get(endpointId) ?? { rate, at: [] }
        entry.rate = rate
        entry.at.push(nowMs)
        this.starts.set(endpointId, entry)
      }
    }
  }

  finish(userId: string, endpointId?: string): void {
    this.inFlight -= 1
    dec(this.byUser, userId)
    if (endpointId !== undefined) dec(this.byEndpoint, endpointId)
    this.poke()
  }

  /** Wakes everything waiting in changed() now (new work was signalled: look again). */
  poke(): void {
    this.pokes += 1
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /**
   * Takes a slot for one send, waiting up to maxWaitMs for one to free (test sends). True when
   * taken; the caller must then call finish(). False when the wait ran out.
   */
  async acquire(userId: string, endpointId: string, maxWaitMs: number): Promise<boolean> {
    const until = Date.now() + maxWaitMs
    while (!this.canStart(userId, endpointId)) {
      const left = until - Date.now()
      if (left <= 0) return false
      await this.changed(Math.min(left, 1000))
    }
    this.start(userId, endpointId)
    return true
  }

  /**
   * A mark for changed(): which pokes have been seen. A loop takes one before it looks at its
   * work, and passes it to the wait that follows.
   */
  mark(): number {
    return this.pokes
  }

  /**
   * Resolves when any send in this process finishes or work is signalled (or after maxWaitMs).
   * With a mark, at once if that has happened since the mark was taken: a poke made while the
   * waiter was busy elsewhere (awaiting the database) found no one waiting and would be lost,
   * leaving the new work until maxWaitMs ran out (noisy-neighbour bench: a victim's delivery ~1 s
   * late, once in a while).
   */
  changed(maxWaitMs = 1000, since?: number): Promise<void> {
    if (since !== undefined && since !== this.pokes) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxWaitMs)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.push(done)
    })
  }
}

function dec(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 1) - 1
  if (n <= 0) map.delete(key)
  else map.set(key, n)
}
