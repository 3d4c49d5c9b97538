// The database shape, shared by both dialects. Times are unix milliseconds in BIGINT columns so
// MySQL and SQLite compare and sort them the same way; ids are minted by the app (see ids.ts).
import type { Generated, Selectable, Updateable } from 'kysely'

export interface EndpointsTable {
  id: string
  user_id: string
  url: string
  description: string
  /** JSON array of event type patterns, e.g. ["email.*","usage.threshold_reached"]. */
  event_types: string
  is_active: number
  /** Set when the system (not the user) turned the endpoint off: "410 Gone", "failing for 3 days". */
  disabled_reason: string | null
  disabled_at: number | null
  /** AES-256-GCM ciphertext of the current secret; the plain secret is never stored. */
  secret_enc: string
  secret_key_id: string
  previous_secret_enc: string | null
  previous_key_id: string | null
  previous_expires_at: number | null
  /** Start of the current run of failed attempts; cleared by any success or by re-enabling. */
  failing_since: number | null
  /** Optional rate limit: at most rate_limit_max deliveries per 'second' or 'minute' (both null: none). */
  rate_limit_per: string | null
  rate_limit_max: number | null
  /** JSON [{"name","value_enc"}]: custom request headers, each value AES-GCM sealed like the secret. */
  custom_headers: string | null
  /** Failed attempts in the current streak (test sends and operational events excluded). */
  consecutive_failures: Generated<number>
  last_failure_at: number | null
  last_failure_error: string | null
  /** The health state the owner was last told about: healthy | failing | disabled (see delivery/health-alerts.ts). */
  alert_state: Generated<string>
  created_at: number
  updated_at: number
}

export interface EventsTable {
  id: string
  user_id: string
  type: string
  schema_version: number
  occurred_at: number
  /** The exact JSON bytes that are signed and sent; null once purged after the payload retention. */
  payload: string | null
  received_at: number
}

export interface DeliveriesTable {
  id: string
  event_id: string
  endpoint_id: string
  user_id: string
  event_type: string
  /** pending | succeeded | failed */
  status: string
  attempts: number
  /** When the next attempt is due; while leased, when the lease runs out. Null when finished. */
  next_attempt_at: number | null
  lease_owner: string | null
  last_status_code: number | null
  last_error: string | null
  last_attempt_at: number | null
  last_duration_ms: number | null
  /** Attempts made by a redelivery or replay; they do not count against the automatic retry budget. */
  manual_attempts: Generated<number>
  /** A pending delivery's automatic retry time, kept while a manual attempt runs. */
  resume_at: Generated<number | null>
  created_at: number
  updated_at: number
}

export interface DeliveryAttemptsTable {
  id: Generated<number>
  delivery_id: string
  attempt: number
  started_at: number
  duration_ms: number
  status_code: number | null
  /** ok | http_error | timeout | refused | dns | tls | reset | blocked | error */
  error_class: string | null
  error: string | null
  /** scheduled | manual | replay | test (the API says "automatic" for scheduled) */
  trigger: string
  /** JSON object: the headers as sent, signatures included, custom header values masked. */
  request_headers: string | null
  /** The first RESPONSE_EXCERPT_BYTES of the answer; cleared when the event payload is purged. */
  response_excerpt: string | null
}

export interface IdempotencyKeysTable {
  user_id: string
  idem_key: string
  request_hash: string
  /** 0 while the first request runs. */
  status: number
  body_enc: string | null
  created_at: number
}

export interface AlertSettingsTable {
  user_id: string
  email: string | null
  enabled: number
  /** token (from the sign-in link) | user (set on the Alerts screen) */
  source: string
  updated_at: number
}

export interface AlertOutboxTable {
  id: string
  user_id: string
  endpoint_id: string
  /** failing | disabled | recovered */
  kind: string
  to_address: string
  subject: string
  body: string
  /** pending | sent | failed */
  status: string
  attempts: number
  next_attempt_at: number | null
  lease_until: number | null
  last_error: string | null
  created_at: number
  sent_at: number | null
}

export interface Database {
  endpoints: EndpointsTable
  events: EventsTable
  deliveries: DeliveriesTable
  delivery_attempts: DeliveryAttemptsTable
  idempotency_keys: IdempotencyKeysTable
  alert_settings: AlertSettingsTable
  alert_outbox: AlertOutboxTable
}

export type EndpointRow = Selectable<EndpointsTable>
export type EndpointUpdate = Updateable<EndpointsTable>
export type DeliveryRow = Selectable<DeliveriesTable>
export type AttemptRow = Selectable<DeliveryAttemptsTable>
