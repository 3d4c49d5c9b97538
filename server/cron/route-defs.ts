// OpenAPI definitions of /tick and the test send; routes.ts attaches the handlers.
import { createRoute, z } from '@hono/zod-openapi'
import { bearerSecurity } from '../http/openapi.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

export const TickSummarySchema = z
  .object({
    claimed: z.number().int(),
    succeeded: z.number().int(),
    retried: z.number().int(),
    failed: z.number().int(),
    released: z.number().int().openapi({ description: 'Claimed but given back unsent (budget spent)' }),
    duration_ms: z.number().int(),
    purged: z.object({ payloads_purged: z.number().int(), deliveries_purged: z.number().int() }),
  })
  .openapi('TickSummary')

export const TestSendResultSchema = z
  .object({
    ok: z.boolean(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error_class: z.enum(['http_error', 'timeout', 'refused', 'dns', 'tls', 'reset', 'blocked', 'invalid_response', 'error']).nullable(),
    error: z.string().nullable(),
    hint: z.string().nullable().openapi({ description: 'What to do about a failure, in plain words' }),
    response_excerpt: z.string().openapi({ description: 'The first 300 characters of the answer' }),
    headers_sent: z.record(z.string(), z.string()).openapi({ description: 'The request headers, signatures included (never the secret)' }),
    event_id: z.string(),
    delivery_id: z.string(),
  })
  .openapi('TestSendResult')

const TickQuery = z.object({ token: z.string().max(200).optional().openapi({ description: 'QSM_CRON_TOKEN (or send it as a bearer token)' }) })
const tickRoute = <M extends 'get' | 'post'>(method: M) =>
  createRoute({
    method, path: '/tick', tags: ['Cron'], request: { query: TickQuery },
    summary: 'Send due deliveries for a bounded time, then purge expired data',
    description: 'For host cron. Needs QSM_CRON_TOKEN as ?token= or Authorization: Bearer. Safe to call concurrently.',
    responses: { 200: json(TickSummarySchema, 'What this tick did'), 401: { description: 'Missing or wrong cron token' } },
  })

export const tickGetRoute = tickRoute('get')
export const tickPostRoute = tickRoute('post')

export const testSendRoute = createRoute({
  method: 'post', path: '/v1/webhooks/{id}/test', security: bearerSecurity, tags: ['Webhook endpoints'],
  summary: 'Send a webhook.test event now and report the outcome',
  description: 'Works on paused and disabled endpoints too, so a fix can be checked before turning the endpoint on. Not retried; does not count toward automatic disabling.',
  request: { params: z.object({ id: z.string().min(1).max(40).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: json(TestSendResultSchema, 'The outcome of the test send (ok false when the endpoint failed)') },
})
