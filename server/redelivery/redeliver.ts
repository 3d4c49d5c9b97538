// Manual redelivery: may this delivery (or these failed ones) be sent again? The rows are then made
// due now by server/delivery/requeue.ts; the normal runner sends them, so leases and limits apply.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../http/errors.js'
import type { DeliveryWithUrl } from '../delivery-log/queries.js'
import { sendingNow } from '../delivery/claim.js'
import { requeueFailed, requeueOne } from '../delivery/requeue.js'
import { TEST_EVENT_TYPE } from '../delivery/outcome.js'

async function payloadKept(db: Kysely<Database>, eventId: string): Promise<boolean> {
  const row = await db.selectFrom('events').select(sql<number>`case when payload is null then 0 else 1 end`.as('kept')).where('id', '=', eventId).executeTakeFirst()
  return Number(row?.kept ?? 0) === 1
}

export async function retryDelivery(db: Kysely<Database>, delivery: DeliveryWithUrl, nowMs: number): Promise<void> {
  if (sendingNow(delivery)) {
    throw new ApiError('conflict', 'This delivery is being sent right now; wait for the attempt to finish')
  }
  // A succeeded delivery may be sent again: receivers dedupe on webhook-id, and users ask for it
  // when their own processing lost the data. It goes out with the same id.
  if (!(await payloadKept(db, delivery.event_id))) {
    throw new ApiError('conflict', 'The event payload has been purged after the retention period, so it cannot be sent again')
  }
  const endpoint = await db.selectFrom('endpoints').select(['is_active']).where('id', '=', delivery.endpoint_id).executeTakeFirst()
  if (!endpoint) throw new ApiError('conflict', 'The endpoint of this delivery was deleted')
  if (Number(endpoint.is_active) !== 1) throw new ApiError('conflict', 'The endpoint is turned off; turn it on first, then redeliver')
  if (!(await requeueOne(db, delivery.id, nowMs))) throw new ApiError('conflict', 'This delivery is being sent right now; wait for the attempt to finish')
}

export interface ReplaySummary {
  replayed: number
  /** Kept for older clients: the same number as skipped.payload_expired. */
  skipped_expired: number
  skipped: { endpoint_disabled: number; endpoint_paused: number; endpoint_deleted: number; payload_expired: number; test_sends: number }
}

/**
 * Every failed delivery of the user (of one endpoint, when given) created in [since, until), made
 * due now — except those that could not be sent anyway, counted by reason instead of being
 * replayed only to fail again at once: endpoint turned off by the system (disabled) or by the
 * user (paused) or deleted, payload purged, and test sends (a test is a check, not data).
 */
export async function replayFailed(db: Kysely<Database>, userId: string, endpointId: string | null, since: number, until: number, nowMs: number): Promise<ReplaySummary> {
  let q = db
    .selectFrom('deliveries')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .leftJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
    .select([
      'deliveries.id', 'deliveries.event_type', 'endpoints.id as endpoint_found', 'endpoints.is_active', 'endpoints.disabled_reason',
      sql<number>`case when events.payload is null then 0 else 1 end`.as('kept'),
    ])
    .where('deliveries.user_id', '=', userId)
    .where('deliveries.status', '=', 'failed')
    .where('deliveries.created_at', '>=', since)
    .where('deliveries.created_at', '<', until)
  if (endpointId !== null) q = q.where('deliveries.endpoint_id', '=', endpointId)
  const skipped = { endpoint_disabled: 0, endpoint_paused: 0, endpoint_deleted: 0, payload_expired: 0, test_sends: 0 }
  const ids: string[] = []
  for (const c of await q.execute()) {
    if (c.event_type === TEST_EVENT_TYPE) skipped.test_sends++
    else if (c.endpoint_found === null) skipped.endpoint_deleted++
    else if (Number(c.is_active) !== 1) c.disabled_reason ? skipped.endpoint_disabled++ : skipped.endpoint_paused++
    else if (Number(c.kept) !== 1) skipped.payload_expired++
    else ids.push(c.id)
  }
  const replayed = await requeueFailed(db, ids, nowMs)
  return { replayed, skipped_expired: skipped.payload_expired, skipped }
}
