// Shapes of the endpoint API (docs/decisions/0001-api-shapes.md), shared by request validation,
// responses and /openapi.json. Every message is written to follow "<field>: ", which
// validationError() puts in front, so each 422 reads as a sentence about one field.
import { z } from '@hono/zod-openapi'
import { patternProblem } from '../events/types.js'
import { validateSuppliedSecret } from '../crypto/secrets.js'
import { CustomHeadersInput } from './custom-headers.js'

export const MAX_URL_LENGTH = 2048
export const MAX_DESCRIPTION_LENGTH = 500
export const MAX_EVENT_PATTERNS = 50
export const MAX_GRACE_SECONDS = 7 * 24 * 3600

const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`)

const url = z
  .string({ error: required('a string') })
  .min(1, { error: 'is required' })
  .max(MAX_URL_LENGTH, { error: `must be at most ${MAX_URL_LENGTH} characters` })
  .openapi({ example: 'https://example.com/webhooks/qsm', description: 'https only (http only when the server allows private targets)' })

const eventTypes = z
  .array(
    z.string({ error: 'must be a string' }).superRefine((pattern, ctx) => {
      const problem = patternProblem(pattern)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    }),
    { error: required('a list of event types, e.g. ["email.*"]') },
  )
  .min(1, { error: 'must list at least one event type (use "*" for all of them)' })
  .max(MAX_EVENT_PATTERNS, { error: `must list at most ${MAX_EVENT_PATTERNS} patterns` })
  .openapi({ example: ['email.failed', 'overflow.*'], description: 'Exact types, "group.*" or "*"' })

const description = z
  .string({ error: 'must be a string' })
  .max(MAX_DESCRIPTION_LENGTH, { error: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` })

const isActive = z.boolean({ error: 'must be true or false' })

export const MAX_RATE_LIMIT = 100_000

/** Optional cap on deliveries per second or minute (beside the in-flight caps); null removes it. */
const rateLimit = z
  .object({
    per: z.enum(['second', 'minute'], { error: 'must be "second" or "minute"' }),
    max: z
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(MAX_RATE_LIMIT, { error: `must be at most ${MAX_RATE_LIMIT}` }),
  }, { error: 'must be an object such as {"per":"second","max":10}, or null' })
  .strict()
  .nullable()
  .openapi('RateLimit', { example: { per: 'second', max: 10 }, description: 'At most `max` deliveries per second or minute; null for no limit' })

const secret = z
  .string({ error: 'must be a string' })
  .superRefine((value, ctx) => {
    const problem = validateSuppliedSecret(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .openapi({ description: 'whsec_ + base64 of at least 32 random bytes; generated when left out' })

/**
 * An object that names unknown fields one by one ("is_activ: is not a field …") instead of
 * ignoring them: a typo in PATCH would otherwise answer 200 and change nothing.
 */
function closedObject<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape)
  return z.object(shape, { error: 'the request body must be a JSON object' }).passthrough().superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `is not a field of this request (known fields: ${known.join(', ')})` })
    }
  })
}

export const CreateEndpointBody = closedObject({
  url,
  description: description.optional(),
  event_types: eventTypes,
  is_active: isActive.optional(),
  secret: secret.optional(),
  rate_limit: rateLimit.optional(),
  headers: CustomHeadersInput.optional(),
}).openapi('CreateEndpointRequest')

export const UpdateEndpointBody = closedObject({
  url: url.optional(),
  description: description.optional(),
  event_types: eventTypes.optional(),
  is_active: isActive.optional().openapi({ description: 'true also re-enables an endpoint the system disabled' }),
  secret: secret.optional().openapi({ description: 'Replaces the secret; the old one keeps signing for the rotation grace' }),
  rate_limit: rateLimit.optional(),
  headers: CustomHeadersInput.optional(),
}).openapi('UpdateEndpointRequest')

export const RotateSecretBody = closedObject({
  grace_seconds: z
    .number({ error: 'must be a whole number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .min(0, { error: 'must be 0 or more' })
    .max(MAX_GRACE_SECONDS, { error: `must be at most ${MAX_GRACE_SECONDS} (7 days)` })
    .optional()
    .openapi({ description: 'How long the old secret keeps signing; default QSM_ROTATION_GRACE (24 h)' }),
}).openapi('RotateSecretRequest')

export const EndpointStats = z
  .object({
    deliveries_24h: z.number().int(),
    success_rate_24h: z.number().nullable().openapi({ description: 'succeeded / (succeeded + failed) over 24 h; null when none finished' }),
    last_delivery_at: z.string().nullable(),
    last_delivery_status: z.enum(['pending', 'succeeded', 'failed']).nullable(),
  })
  .openapi('EndpointStats')

export const RecentFailure = z
  .object({
    at: z.string(),
    delivery_id: z.string(),
    event_type: z.string(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    hint: z.string().nullable().openapi({ description: 'What to do about it, in plain words' }),
  })
  .openapi('RecentFailure')

export const EndpointHealth = z
  .object({
    state: z.enum(['healthy', 'failing', 'disabled', 'recovering']).openapi({
      description: 'failing: QSM_FAILING_AFTER_FAILURES failed attempts in a row or failures for QSM_FAILING_AFTER; ' +
        'recovering: turned on again (or failing before) and no successful delivery yet',
    }),
    since: z.string().nullable().openapi({ description: 'failing: when the failures began; disabled: when it was turned off' }),
    consecutive_failures: z.number().int().openapi({ description: 'Failed attempts in a row (test sends not counted)' }),
    failing_since: z.string().nullable().openapi({ description: 'Start of the current run of failures, also while disabled (where a redelivery starts from)' }),
    last_error: z.string().nullable().openapi({ description: 'The last failed attempt, in words' }),
    last_failure_at: z.string().nullable(),
    disabled_by: z.enum(['user', 'gone', 'failure_period']).nullable().openapi({ description: 'gone: the endpoint answered 410; failure_period: failing for QSM_DISABLE_AFTER' }),
    disabled_reason: z.string().nullable(),
    recent_failures: z.array(RecentFailure).openapi({ description: 'Up to 5 newest failed attempts with a hint each; filled on GET /v1/webhooks/{id}, [] in lists' }),
  })
  .openapi('EndpointHealth')

export const Endpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    event_types: z.array(z.string()),
    is_active: z.boolean(),
    status: z.enum(['active', 'paused', 'disabled']).openapi({ description: 'paused: turned off by the user; disabled: turned off by the system' }),
    disabled_reason: z.string().nullable(),
    disabled_at: z.string().nullable(),
    secret_key_id: z.string(),
    previous_key_id: z.string().nullable(),
    previous_key_expires_at: z.string().nullable(),
    rate_limit: rateLimit,
    headers: z.record(z.string(), z.string()).openapi({ description: 'Custom request headers; values are always masked', example: { Authorization: '••••••' } }),
    created_at: z.string(),
    updated_at: z.string(),
    stats: EndpointStats,
    health: EndpointHealth,
  })
  .openapi('Endpoint')

export const EndpointWithSecret = Endpoint.extend({ secret: z.string() }).openapi('EndpointWithSecret')

export const EndpointPage = z.object({ data: z.array(Endpoint), next_cursor: z.string().nullable() }).openapi('EndpointPage')

export const SecretReveal = z.object({ secret: z.string(), key_id: z.string() }).openapi('EndpointSecret')

export const RotateResult = z
  .object({ secret: z.string(), key_id: z.string(), previous_key_id: z.string().nullable(), previous_key_expires_at: z.string().nullable() })
  .openapi('RotateSecretResult')

export const IdParam = z.object({ id: z.string().min(1).max(40).openapi({ param: { name: 'id', in: 'path' } }) })

export const ListQuery = z.object({
  cursor: z.string().max(40).optional().openapi({ description: 'next_cursor from the previous page' }),
  limit: z.coerce.number({ error: 'must be a number from 1 to 100' }).int().min(1).max(100).default(100),
})

export type CreateEndpointInput = z.infer<typeof CreateEndpointBody>
export type UpdateEndpointInput = z.infer<typeof UpdateEndpointBody>
export type EndpointApi = z.infer<typeof Endpoint>
export type RecentFailureApi = z.infer<typeof RecentFailure>
