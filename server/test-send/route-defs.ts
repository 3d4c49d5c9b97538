// OpenAPI definition of the test send (mounted at /v1/webhooks beside the endpoint routes).
import { createRoute, z } from '@hono/zod-openapi'
import { bearerSecurity, idempotencyHeader, jsonContent } from '../http/openapi.js'
import { idempotent } from '../idempotency/middleware.js'


export const TestSendResultSchema = z
  .object({
    ok: z.boolean(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error_class: z.enum(['http_error', 'timeout', 'refused', 'dns', 'tls', 'reset', 'blocked', 'invalid_response', 'error']).nullable(),
    error: z.string().nullable(),
    hint: z.string().nullable().openapi({ description: 'What to do about a failure, in plain words' }),
    response_excerpt: z.string().openapi({ description: 'The first 1024 characters of the answer' }),
    headers_sent: z.record(z.string(), z.string()).openapi({ description: 'The request headers, signatures included (never the secret; custom header values masked)' }),
    event_id: z.string(),
    delivery_id: z.string(),
    waited_ms: z.number().int().openapi({ description: 'How long the test waited for a free delivery slot (tests share the account\'s in-flight limits with deliveries)' }),
  })
  .openapi('TestSendResult')

export const testSendRoute = createRoute({
  method: 'post', path: '/{id}/test', security: bearerSecurity, tags: ['Webhook endpoints'], operationId: 'sendTestEvent',
  middleware: [idempotent] as const,
  summary: 'Send a webhook.test event now and report the outcome',
  description: 'Works on paused and disabled endpoints too, so a fix can be checked before turning the endpoint on. Not retried; does not count toward automatic disabling.',
  request: { params: z.object({ id: z.string().min(1).max(40).openapi({ param: { name: 'id', in: 'path' } }) }), headers: idempotencyHeader },
  responses: {
    200: jsonContent(TestSendResultSchema, 'The outcome of the test send (ok false when the endpoint failed)'),
    429: jsonContent(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), 'Not sent: the account\'s delivery slots stayed busy for 5 s (Retry-After says when to try again)'),
  },
})
