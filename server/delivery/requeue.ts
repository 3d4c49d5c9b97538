// Manual redelivery's and replay's writes: make rows due now under MANUAL_MARKER / REPLAY_MARKER,
// so the normal runner sends them (leases and limits still apply) and logs the attempt as 'manual'
// or 'replay'. The checks of whether a delivery may be sent again live in server/redelivery/; only
// this folder writes delivery rows.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { MANUAL_MARKER, REPLAY_MARKER } from './claim.js'
import { TEST_EVENT_TYPE } from './outcome.js'

/**
 * resume_at keeps a pending delivery's automatic retry time, so a manual attempt neither uses up
 * nor moves the automatic schedule (outcome.ts puts the delivery back there if it fails). A row
 * already marked keeps the resume time it has (a second click must not lose it).
 * resume_at is set first: MySQL evaluates SET assignments left to right with the new values.
 */
const resumeAt = sql<number | null>`case when lease_owner in (${MANUAL_MARKER}, ${REPLAY_MARKER}) then resume_at when status = 'pending' then next_attempt_at else null end`

/** False when a runner claimed the row meanwhile (it keeps it: the guard is on the lease owner). */
export async function requeueOne(db: Kysely<Database>, deliveryId: string, nowMs: number): Promise<boolean> {
  const res = await db
    .updateTable('deliveries')
    .set({ resume_at: resumeAt, status: 'pending', next_attempt_at: nowMs, lease_owner: MANUAL_MARKER, updated_at: nowMs })
    .where('id', '=', deliveryId)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', 'in', [MANUAL_MARKER, REPLAY_MARKER])]))
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}

/** Makes the failed ones among `ids` due now for a replay; answers how many changed. */
export async function requeueFailed(db: Kysely<Database>, ids: string[], nowMs: number): Promise<number> {
  let requeued = 0
  // Chunks keep each UPDATE's IN list and lock set small.
  for (let i = 0; i < ids.length; i += 500) {
    const res = await db
      .updateTable('deliveries')
      .set({ resume_at: null, status: 'pending', next_attempt_at: nowMs, lease_owner: REPLAY_MARKER, updated_at: nowMs })
      .where('id', 'in', ids.slice(i, i + 500))
      .where('status', '=', 'failed')
      .where('event_type', '!=', TEST_EVENT_TYPE)
      .executeTakeFirst()
    requeued += Number(res.numUpdatedRows)
  }
  return requeued
}
