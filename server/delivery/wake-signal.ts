// The wake-up the send loops wait on: "a send finished or new work was signalled, look again".
// Owned by the limiter (limiter.ts), which pokes it whenever a slot frees; hand-off and the
// runner poke it when work arrives.

export class WakeSignal {
  private waiters: (() => void)[] = []
  private pokes = 0

  /** Wakes everything waiting in changed() now. */
  poke(): void {
    this.pokes += 1
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /**
   * A mark for changed(): which pokes have been seen. A loop takes one before it looks at its
   * work, and passes it to the wait that follows.
   */
  mark(): number {
    return this.pokes
  }

  /**
   * Resolves at the next poke (or after maxWaitMs). With a mark, at once if a poke has happened
   * since the mark was taken: a poke made while the waiter was busy elsewhere (awaiting the
   * database) found no one waiting and would be lost, leaving the new work until maxWaitMs ran out
   * (noisy-neighbour bench: a victim's delivery ~1 s late, once in a while).
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
