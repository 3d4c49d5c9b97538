// Manual redelivery: one delivery, or every failed delivery of an endpoint in a time range. Both
// only make rows due now; the normal runner sends them, so leases and limits still apply.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../http/errors.js'
import type { DeliveryWithUrl } from '../delivery-log/queries.js'
import { MANUAL_MARKER } from '../delivery/claim.js'

/** A runner holds this row now (a redelivery's marker is not a lease). */
export function sendingNow(row: { status: string; lease_owner: string | null }): boolean {
  return row.status === 'pending' && row.lease_owner !== null && row.lease_owner !== MANUAL_MARKER
}

async function payloadKept(db: Kysely<Database>, eventId: string): Promise<boolean> {
  const row = await db.selectFrom('events').select(sql<number>`case when payload is null then 0 else 1 end`.as('kept')).where('id', '=', eventId).executeTakeFirst()
  return Number(row?.kept ?? 0) === 1
}

export async function retryDelivery(db: Kysely<Database>, delivery: DeliveryWithUrl, nowMs: number): Promise<void> {
  if (sendingNow(delivery)) {
    throw new ApiError('conflict', 'This delivery is being sent right now; wait for the attempt to finish')
  }
  if (delivery.status === 'succeeded') {
    // Receivers dedupe on webhook-id, so a resend of a delivered event is allowed: users ask for it
    // when their own processing lost the data. It goes out with the same id.
  }
  if (!(await payloadKept(db, delivery.event_id))) {
    throw new ApiError('conflict', 'The event payload has been purged after the retention period, so it cannot be sent again')
  }
  const endpoint = await db.selectFrom('endpoints').select(['is_active']).where('id', '=', delivery.endpoint_id).executeTakeFirst()
  if (!endpoint) throw new ApiError('conflict', 'The endpoint of this delivery was deleted')
  if (Number(endpoint.is_active) !== 1) throw new ApiError('conflict', 'The endpoint is turned off; turn it on first, then redeliver')
  // Guarded on the owner so a runner that claimed it meanwhile keeps it. The marker makes the
  // runner log this attempt as 'manual'; claiming replaces it with the runner's own name.
  const res = await db
    .updateTable('deliveries')
    .set({ status: 'pending', next_attempt_at: nowMs, lease_owner: MANUAL_MARKER, updated_at: nowMs })
    .where('id', '=', delivery.id)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', MANUAL_MARKER)]))
    .executeTakeFirst()
  if (Number(res.numUpdatedRows) === 0) throw new ApiError('conflict', 'This delivery is being sent right now; wait for the attempt to finish')
}

export async function replayFailed(db: Kysely<Database>, endpointId: string, since: number, until: number, nowMs: number) {
  const candidates = await db
    .selectFrom('deliveries')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .select(['deliveries.id', sql<number>`case when events.payload is null then 0 else 1 end`.as('kept')])
    .where('deliveries.endpoint_id', '=', endpointId)
    .where('deliveries.status', '=', 'failed')
    .where('deliveries.created_at', '>=', since)
    .where('deliveries.created_at', '<', until)
    .execute()
  const ids = candidates.filter((c) => Number(c.kept) === 1).map((c) => c.id)
  let replayed = 0
  // Chunks keep each UPDATE's IN list and lock set small.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    const res = await db
      .updateTable('deliveries')
      .set({ status: 'pending', next_attempt_at: nowMs, lease_owner: MANUAL_MARKER, updated_at: nowMs })
      .where('id', 'in', chunk)
      .where('status', '=', 'failed')
      .executeTakeFirst()
    replayed += Number(res.numUpdatedRows)
  }
  return { replayed, skipped_expired: candidates.length - ids.length }
}
