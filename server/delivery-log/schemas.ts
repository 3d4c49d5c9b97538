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

export const Attempt = z
  .object({
    attempt: z.number().int(),
    started_at: z.string(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error_class: z.string().nullable(),
    error: z.string().nullable(),
    trigger: z.string(),
  })
  .openapi('DeliveryAttempt')

export const DeliveryDetail = Delivery.extend({ attempts_log: z.array(Attempt) }).openapi('DeliveryDetail')

export const ListQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  endpoint_id: z.string().max(40).optional(),
  event_type: z.string().max(64).optional(),
  since: isoTime.optional().openapi({ description: 'Only deliveries created at or after this time' }),
  until: isoTime.optional().openapi({ description: 'Only deliveries created before this time' }),
  cursor: z.string().max(40).optional().openapi({ description: 'next_cursor from the previous page' }),
  limit: z.coerce.number().int().min(1).max(100).default(25),
})

export const DeliveryPage = z.object({ data: z.array(Delivery), next_cursor: z.string().nullable() }).openapi('DeliveryPage')

export const ReplayBody = z
  .object({
    endpoint_id: z.string().min(1).max(40),
    since: isoTime,
    until: isoTime.optional(),
  })
  .openapi('ReplayRequest')

export const ReplayResult = z
  .object({
    replayed: z.number().int().openapi({ description: 'Failed deliveries that are due again now' }),
    skipped_expired: z.number().int().openapi({ description: 'Failed deliveries whose event payload was already purged' }),
  })
  .openapi('ReplayResult')

export const IdParam = z.object({ id: z.string().min(1).max(40).openapi({ param: { name: 'id', in: 'path' } }) })
