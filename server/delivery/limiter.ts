// In-flight limits for one process: config.concurrency sends in total and config.userConcurrency
// per user, so one user's slow receiver cannot take every slot. Shared by everything that sends in
// the process (the in-process loop, /tick, the worker), hence one limiter per process, built in deps.ts.

export class SendLimiter {
  private inFlight = 0
  private readonly byUser = new Map<string, number>()
  private waiters: (() => void)[] = []

  constructor(readonly total: number, readonly perUser: number) {}

  get busy(): number {
    return this.inFlight
  }

  hasRoom(): boolean {
    return this.inFlight < this.total
  }

  canStart(userId: string): boolean {
    return this.inFlight < this.total && (this.byUser.get(userId) ?? 0) < this.perUser
  }

  start(userId: string): void {
    this.inFlight += 1
    this.byUser.set(userId, (this.byUser.get(userId) ?? 0) + 1)
  }

  finish(userId: string): void {
    this.inFlight -= 1
    const n = (this.byUser.get(userId) ?? 1) - 1
    if (n <= 0) this.byUser.delete(userId)
    else this.byUser.set(userId, n)
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /** Resolves when any send in this process finishes (or after maxWaitMs). */
  changed(maxWaitMs = 1000): Promise<void> {
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
