// Collects finished attempts and writes them in batches: while one batch commits, the next one
// fills up, so under load many acks share one transaction and at low load each goes out at once.
import type { AppDeps } from '../http/context.js'
import { finishDeliveries } from './complete.js'
import { applyEndpointEffects } from './endpoint-health.js'
import type { Finish } from './outcome.js'

const MAX_BATCH = 200

export class AckQueue {
  private pending: Finish[] = []
  private flushing: Promise<void> | null = null

  constructor(private readonly deps: AppDeps, private readonly onApplied: (applied: Finish[]) => void = () => {}) {}

  push(...items: Finish[]): void {
    if (items.length === 0) return
    this.pending.push(...items)
    if (!this.flushing) this.flushing = new Promise((resolve) => setImmediate(resolve)).then(() => this.flushAll()).finally(() => { this.flushing = null })
  }

  /** Resolves when everything pushed so far is written (or given up on). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  private async flushAll(): Promise<void> {
    const { db, config, clock, log } = this.deps
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH)
      let applied: Finish[] | null = null
      // One retry covers a deadlock victim or a busy SQLite file. If both fail, the rows keep their
      // lease and are simply due again when it ends: the delivery is retried, never lost.
      for (let attempt = 0; attempt < 2 && applied === null; attempt++) {
        try {
          applied = await finishDeliveries(db, batch, clock.now())
        } catch (err) {
          log.warn('could not record delivery results', { error: (err as Error).message, rows: batch.length, retrying: attempt === 0 })
        }
      }
      if (!applied) continue
      this.onApplied(applied)
      try {
        await applyEndpointEffects(db, applied, config, clock.now())
      } catch (err) {
        log.warn('could not update endpoint health', { error: (err as Error).message })
      }
    }
  }
}
