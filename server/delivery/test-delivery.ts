// The test send's rows: a webhook.test event and its delivery, created already leased by the request
// that sends it, so no runner picks it up meanwhile. The test-send feature decides what to send;
// this folder alone writes delivery rows.
import type { Db } from '../db/connect.js'
import { writeTransaction } from '../db/write-first.js'
import type { Claim } from './claim.js'

export async function insertTestDelivery(db: Db, claim: Claim, body: string, now: number): Promise<void> {
  await writeTransaction(db, async (trx) => {
    await trx.insertInto('events').values({ id: claim.event_id, user_id: claim.user_id, type: 'webhook.test', schema_version: 1, occurred_at: now, payload: body, received_at: now }).execute()
    await trx.insertInto('deliveries').values({
      id: claim.id, event_id: claim.event_id, endpoint_id: claim.endpoint_id, user_id: claim.user_id, event_type: 'webhook.test', status: 'pending',
      attempts: 0, next_attempt_at: claim.leaseUntil, lease_owner: claim.owner, last_status_code: null, last_error: null,
      last_attempt_at: null, last_duration_ms: null, created_at: now, updated_at: now,
    }).execute()
  })
}
