// Collects finished attempts and writes them in batches: while one batch commits, the next one
// fills up, so under load many acks share one transaction and at low load each goes out at once.
import type { AppDeps } from '../http/context.js'
import { finishDeliveries } from './complete.js'
import { applyEndpointEffects } from './endpoint-health.js'
import type { Finish } from './outcome.js'

const MAX_BATCH = 200
/** Waits before retrying a failed result write (deadlock victim, busy SQLite file, brief outage). */
const RETRY_WAITS_MS = [0, 100, 500, 2_000]

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
      // A few retries cover a deadlock victim, a busy SQLite file or a short outage, well inside
      // the lease. If all fail, the rows keep their lease and are due again when it ends: the
      // delivery is sent again (same idempotency key), never lost.
      for (let i = 0; i < RETRY_WAITS_MS.length && applied === null; i++) {
        if (RETRY_WAITS_MS[i]! > 0) await new Promise((r) => setTimeout(r, RETRY_WAITS_MS[i]))
        try {
          applied = await finishDeliveries(db, batch, clock.now())
        } catch (err) {
          log.warn('could not record delivery results', { error: (err as Error).message, rows: batch.length, retrying: i < RETRY_WAITS_MS.length - 1 })
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
