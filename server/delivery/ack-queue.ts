// Collects finished attempts and writes them in batches: while one batch commits, the next one
// fills up, so under load many acks share one transaction. On SQLite a first ack waits
// ACK_GATHER_MS for others before its transaction starts, unless the pass ends first (drain writes
// at once); elsewhere it goes out on the next turn of the event loop.
import { finishDeliveries } from './complete.js'
import { applyEndpointEffects } from './endpoint-health.js'
import type { Finish } from './outcome.js'
import type { EngineDeps } from './types.js'

const MAX_BATCH = 200
/**
 * How long a first finished attempt waits for others before its write starts, where the database
 * runs on the service's thread (SQLite). Without it, sends finishing one by one at a few hundred a
 * second each got a transaction of their own: 2,900 ack transactions in a 15 s noisy-neighbour
 * half (1.4 acks each) against 750 with 5 ms, and the normal users' time from the 202 to arrival
 * fell from p50 1.6–1.9 to 0.8 ms. The row's status shows 5 ms later; the request is not delayed.
 * On MariaDB, whose work runs in its own process, the same 5 ms did not help the noisy-neighbour
 * bench (pooled ratios 1.23, 0.97, 1.75, 1.76, 2.63 against 0.93, 1.15 without, on 3 December), so
 * it is not used there.
 */
export const ACK_GATHER_MS = 5
/** Waits before retrying a failed result write (deadlock victim, busy SQLite file, brief outage). */
const FIRST_WAIT_MS = 100
const MAX_WAIT_MS = 2_000
/** At least this many tries, even when the lease is already over (a row nobody took still accepts the result). */
const MIN_TRIES = 4
/** Never longer than this per batch, so a tick or a stopping worker is not held for a whole lease. */
const MAX_RETRY_MS = 15_000

export class AckQueue {
  private pending: Finish[] = []
  private flushing: Promise<void> | null = null
  /** Starts the gathered write now instead of when ACK_GATHER_MS is up. */
  private writeNow: (() => void) | null = null

  constructor(private readonly deps: EngineDeps, private readonly onApplied: (applied: Finish[]) => void = () => {}) {}

  push(...items: Finish[]): void {
    if (items.length === 0) return
    this.pending.push(...items)
    if (this.flushing) return
    this.flushing = new Promise<void>((resolve) => {
      let cancel = () => {}
      this.writeNow = () => {
        cancel()
        this.writeNow = null
        resolve()
      }
      if (this.deps.db.caps.onServiceThread) {
        const timer = setTimeout(() => this.writeNow?.(), ACK_GATHER_MS)
        cancel = () => clearTimeout(timer)
      } else {
        const next = setImmediate(() => this.writeNow?.())
        cancel = () => clearImmediate(next)
      }
    }).then(() => this.flushAll()).finally(() => { this.flushing = null })
  }

  /**
   * Resolves when everything pushed so far is written (or given up on). Writes at once: a pass
   * that ends must not wait out the gathering (handed-off jobs arriving meanwhile wait for the
   * next pass, which starts only after this one: in the quiet half of the noisy-neighbour bench
   * that added ~5 ms at p90).
   */
  async drain(): Promise<void> {
    this.writeNow?.()
    while (this.flushing) await this.flushing
  }

  private async flushAll(): Promise<void> {
    const { db, config, clock, log } = this.deps
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH)
      // Retried with backoff while any row of the batch is still ours (until its lease ends):
      // that covers a deadlock victim, a busy SQLite file or a database restart. Once every
      // lease is over, another runner may already have the row and will send it again (same
      // idempotency key), and the result is dropped: delayed, never lost.
      const leaseEnd = Math.max(...batch.map((f) => f.claim.leaseUntil))
      const started = Date.now()
      let applied: Finish[] | null = null
      for (let tries = 1, wait = FIRST_WAIT_MS; applied === null; tries++, wait = Math.min(wait * 2, MAX_WAIT_MS)) {
        try {
          applied = await finishDeliveries(db, batch, clock.now())
        } catch (err) {
          const retrying = tries < MIN_TRIES || (clock.now() + wait < leaseEnd && Date.now() - started + wait < MAX_RETRY_MS)
          log.warn('could not record delivery results', { error: (err as Error).message, rows: batch.length, retrying })
          if (!retrying) break
          await new Promise((r) => setTimeout(r, wait))
        }
      }
      if (!applied) continue
      if (applied.length < batch.length) {
        // Not ours any more: usually the lease ran out first and another runner took the row, and
        // it sends again (same key). Worth a line, since it means sends plus writes outlast the lease.
        const now = clock.now()
        const late = batch.filter((f) => !applied!.includes(f)).map((f) => now - f.claim.leaseUntil)
        log.warn('delivery results not recorded: the rows are no longer leased to this runner', { rows: late.length, ms_past_lease: Math.max(...late) })
      }
      this.onApplied(applied)
      try {
        await applyEndpointEffects(db, applied, config, clock.now())
      } catch (err) {
        log.warn('could not update endpoint health', { error: (err as Error).message })
      }
    }
  }
}
