// Reads for the delivery log, always scoped to one user, and the row → API mapping (the one place
// where stored unix milliseconds become ISO strings).
import type { Kysely } from 'kysely'
import type { Database, DeliveryRow, AttemptRow } from '../db/schema.js'
import { sendingNow } from '../delivery/claim.js'
import { TEST_EVENT_TYPE } from '../delivery/outcome.js'
import { isoTime } from '../http/iso-time.js'


export type DeliveryWithUrl = DeliveryRow & { endpoint_url: string | null }

export function deliveryToApi(row: DeliveryWithUrl) {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    endpoint_id: row.endpoint_id,
    endpoint_url: row.endpoint_url,
    status: row.status as 'pending' | 'succeeded' | 'failed',
    attempts: Number(row.attempts),
    // While leased, next_attempt_at holds the lease end; the user only needs "in progress".
    next_attempt_at: row.status === 'pending' && !sendingNow(row) ? isoTime(row.next_attempt_at) : null,
    last_status_code: row.last_status_code === null ? null : Number(row.last_status_code),
    last_error: row.last_error,
    last_attempt_at: isoTime(row.last_attempt_at),
    last_duration_ms: row.last_duration_ms === null ? null : Number(row.last_duration_ms),
    created_at: isoTime(row.created_at)!,
  }
}

const TRIGGER_WORDS: Record<string, 'automatic' | 'manual' | 'replay' | 'test'> = { scheduled: 'automatic', manual: 'manual', replay: 'replay', test: 'test' }

function attemptToApi(row: AttemptRow) {
  return {
    attempt: Number(row.attempt),
    started_at: isoTime(row.started_at)!,
    status_code: row.status_code === null ? null : Number(row.status_code),
    duration_ms: Number(row.duration_ms),
    error_class: row.error_class,
    error: row.error,
    trigger: TRIGGER_WORDS[row.trigger] ?? 'automatic',
    request_headers: row.request_headers ? (JSON.parse(row.request_headers) as Record<string, string>) : null,
    response_excerpt: row.response_excerpt,
  }
}

export interface ListFilter {
  status?: string
  endpoint_id?: string
  event_type?: string
  event_id?: string
  since?: number
  until?: number
  include_tests?: 'true' | 'false'
  cursor?: string
  limit: number
}

function baseQuery(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('deliveries')
    .leftJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
    .selectAll('deliveries')
    .select('endpoints.url as endpoint_url')
    .where('deliveries.user_id', '=', userId)
}

/** Newest first. Ids are time-ordered, so the cursor is simply the last id of the page. */
export async function listDeliveries(db: Kysely<Database>, userId: string, f: ListFilter) {
  let q = baseQuery(db, userId)
  if (f.status) q = q.where('deliveries.status', '=', f.status)
  if (f.endpoint_id) q = q.where('deliveries.endpoint_id', '=', f.endpoint_id)
  if (f.event_type) q = q.where('deliveries.event_type', '=', f.event_type)
  // Test sends are checks, not data: left out unless asked for (or looked up by type or event id).
  else if (f.include_tests !== 'true' && !f.event_id) q = q.where('deliveries.event_type', '!=', TEST_EVENT_TYPE)
  if (f.event_id) q = q.where('deliveries.event_id', '=', f.event_id)
  if (f.since !== undefined) q = q.where('deliveries.created_at', '>=', f.since)
  if (f.until !== undefined) q = q.where('deliveries.created_at', '<', f.until)
  if (f.cursor) q = q.where('deliveries.id', '<', f.cursor)
  const rows = (await q.orderBy('deliveries.id', 'desc').limit(f.limit + 1).execute()) as DeliveryWithUrl[]
  const page = rows.slice(0, f.limit)
  return { data: page.map(deliveryToApi), next_cursor: rows.length > f.limit ? page[page.length - 1]!.id : null }
}

export async function findDelivery(db: Kysely<Database>, userId: string, id: string): Promise<DeliveryWithUrl | undefined> {
  return (await baseQuery(db, userId).where('deliveries.id', '=', id).executeTakeFirst()) as DeliveryWithUrl | undefined
}

/** The stored payload (exact bytes) while it is kept, else null. */
export async function findPayload(db: Kysely<Database>, eventId: string): Promise<string | null> {
  const row = await db.selectFrom('events').select('payload').where('id', '=', eventId).executeTakeFirst()
  return row?.payload ?? null
}

export async function listAttempts(db: Kysely<Database>, deliveryId: string) {
  const rows = await db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt').orderBy('id').execute()
  return rows.map(attemptToApi)
}
