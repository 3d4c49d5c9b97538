// Shapes of the delivery log API, shared by validation, responses and /openapi.json.
import { z } from '@hono/zod-openapi'

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const

const isoTime = z.string().datetime({ offset: true })

export const Delivery = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    endpoint_id: z.string(),
    endpoint_url: z.string().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_attempt_at: z.string().nullable(),
    last_duration_ms: z.number().int().nullable(),
    created_at: z.string(),
  })
  .openapi('Delivery')

export const TRIGGERS = ['automatic', 'manual', 'replay', 'test'] as const

export const Attempt = z
  .object({
    attempt: z.number().int(),
    started_at: z.string(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error_class: z.string().nullable(),
    error: z.string().nullable(),
    trigger: z.enum(TRIGGERS).openapi({ description: 'automatic: the retry schedule; manual: Redeliver; replay: a replay of failed deliveries; test: Send test event' }),
    request_headers: z.record(z.string(), z.string()).nullable().openapi({ description: 'The headers as sent, signatures included; custom header values masked; never the secret' }),
    response_excerpt: z.string().nullable().openapi({ description: 'The first 1024 characters of the answer; null when there was none or after the payload retention' }),
  })
  .openapi('DeliveryAttempt')

export const DeliveryDetail = Delivery.extend({
  payload: z.string().nullable().openapi({ description: 'The request body exactly as signed and sent; null once removed after the payload retention' }),
  payload_note: z.string().nullable().openapi({ description: 'Why the payload is missing, in plain words; null while it is kept' }),
  request_headers: z.record(z.string(), z.string()).nullable().openapi({ description: 'The headers of the latest attempt (each attempt lists its own)' }),
  attempts_log: z.array(Attempt),
}).openapi('DeliveryDetail')

const QUERY_FIELDS = ['status', 'endpoint_id', 'event_type', 'event_id', 'since', 'until', 'include_tests', 'cursor', 'limit'] as const

export const ListQuery = z
  .object({
    status: z.enum(DELIVERY_STATUSES).optional(),
    endpoint_id: z.string().max(40).optional(),
    event_type: z.string().max(64).optional(),
    event_id: z.string().max(64).optional().openapi({ description: 'Only the deliveries of this event' }),
    since: isoTime.optional().openapi({ description: 'Only deliveries created at or after this time' }),
    until: isoTime.optional().openapi({ description: 'Only deliveries created before this time' }),
    include_tests: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().openapi({ description: 'Test sends are left out unless true (or event_type=webhook.test, or an event_id is given)' }),
    cursor: z.string().max(40).optional().openapi({ description: 'next_cursor from the previous page' }),
    limit: z.coerce.number().int().min(1).max(100).default(25),
  })
  .passthrough()
  // A misspelt filter (?event=…, ?endpoint=…) must not quietly answer the unfiltered list.
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!(QUERY_FIELDS as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `is not a filter of this list (known: ${QUERY_FIELDS.join(', ')})` })
    }
  })

export const DeliveryPage = z.object({ data: z.array(Delivery), next_cursor: z.string().nullable() }).openapi('DeliveryPage')

export const ReplayBody = z
  .object({
    endpoint_id: z.string().min(1).max(40).optional().openapi({ description: 'Leave out to replay across all your endpoints' }),
    since: isoTime,
    until: isoTime.optional(),
  })
  .openapi('ReplayRequest')

export const ReplayResult = z
  .object({
    replayed: z.number().int().openapi({ description: 'Failed deliveries that are due again now' }),
    skipped_expired: z.number().int().openapi({ description: 'Same as skipped.payload_expired (kept for older clients)' }),
    skipped: z.object({
      endpoint_disabled: z.number().int().openapi({ description: 'Endpoint turned off by the system (410 Gone, failing for days); turn it on first' }),
      endpoint_paused: z.number().int().openapi({ description: 'Endpoint paused by you' }),
      endpoint_deleted: z.number().int(),
      payload_expired: z.number().int().openapi({ description: 'Event payload already removed after the payload retention' }),
      test_sends: z.number().int().openapi({ description: 'Test sends are never replayed' }),
    }),
  })
  .openapi('ReplayResult')

export const IdParam = z.object({ id: z.string().min(1).max(40).openapi({ param: { name: 'id', in: 'path' } }) })
