// The last few failed attempts at one endpoint, with what to do about each (the test button's
// hints): what the detail page shows under a failing endpoint. Read-only over the delivery log.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { ErrorClass } from '../delivery/types.js'
import { hintFor } from '../test-send/hints.js'
import type { RecentFailureApi } from './schemas.js'

export const RECENT_FAILURES = 5

export async function recentFailures(db: Kysely<Database>, userId: string, endpointId: string): Promise<RecentFailureApi[]> {
  const rows = await db
    .selectFrom('delivery_attempts')
    .innerJoin('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
    .select(['delivery_attempts.started_at', 'delivery_attempts.delivery_id', 'deliveries.event_type', 'delivery_attempts.status_code', 'delivery_attempts.error', 'delivery_attempts.error_class'])
    .where('deliveries.user_id', '=', userId)
    .where('deliveries.endpoint_id', '=', endpointId)
    .where('delivery_attempts.error_class', 'is not', null)
    .where('delivery_attempts.error_class', '!=', 'ok')
    .orderBy('delivery_attempts.started_at', 'desc')
    .orderBy('delivery_attempts.id', 'desc')
    .limit(RECENT_FAILURES)
    .execute()
  return rows.map((r) => ({
    at: new Date(Number(r.started_at)).toISOString(),
    delivery_id: r.delivery_id,
    event_type: r.event_type,
    status_code: r.status_code === null ? null : Number(r.status_code),
    error: r.error,
    hint: hintFor({ ok: false, statusCode: r.status_code === null ? null : Number(r.status_code), errorClass: r.error_class as ErrorClass }),
  }))
}
