// Manual redelivery's writes: make rows due now under the MANUAL_MARKER, so the normal runner sends
// them (leases and limits still apply) and logs the attempt as 'manual'. The checks of whether a
// delivery may be redelivered live in server/redelivery/; only this folder writes delivery rows.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { MANUAL_MARKER } from './claim.js'
import { TEST_EVENT_TYPE } from './test-delivery.js'

/** False when a runner claimed the row meanwhile (it keeps it: the guard is on the lease owner). */
export async function requeueOne(db: Kysely<Database>, deliveryId: string, nowMs: number): Promise<boolean> {
  const res = await db
    .updateTable('deliveries')
    .set({ status: 'pending', next_attempt_at: nowMs, lease_owner: MANUAL_MARKER, updated_at: nowMs })
    .where('id', '=', deliveryId)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', MANUAL_MARKER)]))
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}

/** Makes the failed ones among `ids` due now; answers how many changed. */
export async function requeueFailed(db: Kysely<Database>, ids: string[], nowMs: number): Promise<number> {
  let requeued = 0
  // Chunks keep each UPDATE's IN list and lock set small.
  for (let i = 0; i < ids.length; i += 500) {
    const res = await db
      .updateTable('deliveries')
      .set({ status: 'pending', next_attempt_at: nowMs, lease_owner: MANUAL_MARKER, updated_at: nowMs })
      .where('id', 'in', ids.slice(i, i + 500))
      .where('status', '=', 'failed')
      .where('event_type', '!=', TEST_EVENT_TYPE)
      .executeTakeFirst()
    requeued += Number(res.numUpdatedRows)
  }
  return requeued
}
