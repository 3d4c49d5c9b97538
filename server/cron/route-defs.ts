// OpenAPI definitions of /tick (mounted at /tick; the paths here are relative to it).
import { createRoute, z } from '@hono/zod-openapi'
import { cronSecurity, jsonContent } from '../http/openapi.js'


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

const TickQuery = z.object({ token: z.string().max(200).optional().openapi({ description: 'QSM_CRON_TOKEN (or send it as a bearer token)' }) })
const tickRoute = <M extends 'get' | 'post'>(method: M) =>
  createRoute({
    method, path: '/', tags: ['Cron'], request: { query: TickQuery }, security: cronSecurity, operationId: method === 'get' ? 'tickGet' : 'tickPost',
    summary: 'Send due deliveries for a bounded time, then purge expired data',
    description: 'For host cron. Needs QSM_CRON_TOKEN as ?token= or Authorization: Bearer. Safe to call concurrently.',
    responses: { 200: jsonContent(TickSummarySchema, 'What this tick did'), 401: { description: 'Missing or wrong cron token' } },
  })

export const tickGetRoute = tickRoute('get')
export const tickPostRoute = tickRoute('post')
