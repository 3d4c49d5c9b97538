// Manual redelivery: may this delivery (or these failed ones) be sent again? The rows are then made
// due now by server/delivery/requeue.ts; the normal runner sends them, so leases and limits apply.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../http/errors.js'
import type { DeliveryWithUrl } from '../delivery-log/queries.js'
import { sendingNow } from '../delivery/claim.js'
import { requeueFailed, requeueOne } from '../delivery/requeue.js'
import { TEST_EVENT_TYPE } from '../delivery/test-delivery.js'

async function payloadKept(db: Kysely<Database>, eventId: string): Promise<boolean> {
  const row = await db.selectFrom('events').select(sql<number>`case when payload is null then 0 else 1 end`.as('kept')).where('id', '=', eventId).executeTakeFirst()
  return Number(row?.kept ?? 0) === 1
}

export async function retryDelivery(db: Kysely<Database>, delivery: DeliveryWithUrl, nowMs: number): Promise<void> {
  if (delivery.event_type === TEST_EVENT_TYPE) {
    throw new ApiError('conflict', 'Test sends are not redelivered; use "Send test event" again instead')
  }
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

export async function replayFailed(db: Kysely<Database>, endpointId: string, since: number, until: number, nowMs: number) {
  const candidates = await db
    .selectFrom('deliveries')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .select(['deliveries.id', sql<number>`case when events.payload is null then 0 else 1 end`.as('kept')])
    .where('deliveries.endpoint_id', '=', endpointId)
    .where('deliveries.status', '=', 'failed')
    // A failed test send is a result shown once, never work to redo: replay leaves it alone.
    .where('deliveries.event_type', '!=', TEST_EVENT_TYPE)
    .where('deliveries.created_at', '>=', since)
    .where('deliveries.created_at', '<', until)
    .execute()
  const ids = candidates.filter((c) => Number(c.kept) === 1).map((c) => c.id)
  const replayed = await requeueFailed(db, ids, nowMs)
  return { replayed, skipped_expired: candidates.length - ids.length }
}
