// Retention, run by every tick: payloads after QSM_PAYLOAD_RETENTION_HOURS, finished log rows
// after QSM_LOG_RETENTION_DAYS. Deletes in small batches so a big backlog never holds locks long.
// A log row's age counts from its last change (last attempt, or being marked failed), not from
// its creation: after a forward clock jump every row is "old" by created_at, and a delivery just
// marked failed must still be there to show and replay.
// On SQLite each write waits for the write lock without blocking the event loop (write-first.ts):
// a tick in the web process purges while in-process sends may be in flight.
import type { Db } from '../db/connect.js'
import type { Config } from '../config/schema.js'
import { autocommitWrites, writeTransaction } from '../db/write-first.js'

export interface PurgeSummary {
  payloads_purged: number
  deliveries_purged: number
}

const BATCH = 500
/** Statuses a delivery never leaves on its own; only these rows expire from the log. */
const FINAL_STATUSES = ['succeeded', 'failed']

export async function purgeExpired(db: Db, config: Config, nowMs: number, maxBatches = 20): Promise<PurgeSummary> {
  const summary: PurgeSummary = { payloads_purged: 0, deliveries_purged: 0 }
  const payloadCutoff = nowMs - config.payloadRetentionHours * 3_600_000
  const logCutoff = nowMs - config.logRetentionDays * 86_400_000

  for (let i = 0; i < maxBatches; i++) {
    // A payload is kept while any delivery of its event may still be sent (pending), whatever its age.
    const ids = await db.db
      .selectFrom('events')
      .select('id')
      .where('received_at', '<', payloadCutoff)
      .where('payload', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('deliveries').select('deliveries.id').whereRef('deliveries.event_id', '=', 'events.id').where('deliveries.status', '=', 'pending'))),
      )
      .limit(BATCH)
      .execute()
    if (ids.length === 0) break
    // The answers' excerpts go with the payload: both are the receiver's and the sender's data,
    // kept only as long as needed for debugging (docs/reference.md, minimal log).
    const res = await writeTransaction(db, async (trx) => {
      const eventIds = ids.map((r) => r.id)
      await trx.updateTable('delivery_attempts').set({ response_excerpt: null })
        .where('delivery_id', 'in', trx.selectFrom('deliveries').select('id').where('event_id', 'in', eventIds))
        .where('response_excerpt', 'is not', null)
        .execute()
      return trx.updateTable('events').set({ payload: null }).where('id', 'in', eventIds).executeTakeFirst()
    })
    summary.payloads_purged += Number(res.numUpdatedRows)
    if (ids.length < BATCH) break
  }

  for (let i = 0; i < maxBatches; i++) {
    const rows = await db.db
      .selectFrom('deliveries')
      .select(['id', 'event_id'])
      // Only final rows: a pending delivery (due, leased or waiting to retry) is never deleted.
      .where('status', 'in', FINAL_STATUSES)
      .where('updated_at', '<', logCutoff)
      .where((eb) => eb.or([eb('last_attempt_at', 'is', null), eb('last_attempt_at', '<', logCutoff)]))
      .limit(BATCH)
      .execute()
    if (rows.length === 0) break
    const ids = rows.map((r) => r.id)
    await writeTransaction(db, async (trx) => {
      await trx.deleteFrom('delivery_attempts').where('delivery_id', 'in', ids).execute()
      await trx.deleteFrom('deliveries').where('id', 'in', ids).execute()
    })
    // Events with no deliveries left are gone from every log; drop them too. An event with any
    // delivery still in the table (pending or too young) stays, with its payload rules above.
    const eventIds = [...new Set(rows.map((r) => r.event_id))]
    await autocommitWrites(db, (q) => q
      .deleteFrom('events')
      .where('id', 'in', eventIds)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('deliveries').select('deliveries.id').whereRef('deliveries.event_id', '=', 'events.id'))))
      .execute())
    summary.deliveries_purged += ids.length
    if (rows.length < BATCH) break
  }
  return summary
}
