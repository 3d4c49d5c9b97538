// Retention, run by every tick: payloads after QSM_PAYLOAD_RETENTION_HOURS, finished log rows
// after QSM_LOG_RETENTION_DAYS. Deletes in small batches so a big backlog never holds locks long.
import type { Db } from '../../db/connect.js'
import type { Config } from '../../config/schema.js'

export interface PurgeSummary {
  payloads_purged: number
  deliveries_purged: number
}

const BATCH = 500

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
    const res = await db.db.updateTable('events').set({ payload: null }).where('id', 'in', ids.map((r) => r.id)).executeTakeFirst()
    summary.payloads_purged += Number(res.numUpdatedRows)
    if (ids.length < BATCH) break
  }

  for (let i = 0; i < maxBatches; i++) {
    const rows = await db.db
      .selectFrom('deliveries')
      .select(['id', 'event_id'])
      .where('created_at', '<', logCutoff)
      .where('status', '!=', 'pending')
      .limit(BATCH)
      .execute()
    if (rows.length === 0) break
    const ids = rows.map((r) => r.id)
    await db.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('delivery_attempts').where('delivery_id', 'in', ids).execute()
      await trx.deleteFrom('deliveries').where('id', 'in', ids).execute()
    })
    // Events with no deliveries left are gone from every log; drop them too.
    const eventIds = [...new Set(rows.map((r) => r.event_id))]
    await db.db
      .deleteFrom('events')
      .where('id', 'in', eventIds)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('deliveries').select('deliveries.id').whereRef('deliveries.event_id', '=', 'events.id'))))
      .execute()
    summary.deliveries_purged += ids.length
    if (rows.length < BATCH) break
  }
  return summary
}
