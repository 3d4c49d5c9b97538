// OpenAPI definitions of the event routes (paths relative to /v1/event-types and /v1/events). GET /v1/event-types is validated through createRoute;
// POST /v1/events is only registered for the document, because its handler must read the raw
// bytes (the signature covers them) before anything parses the body.
import { createRoute, z } from '@hono/zod-openapi'
import { bearerSecurity, bridgeSecurity, jsonContent } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import { EVENT_TYPES } from './types.js'
import { MAX_BATCH } from './parse-body.js'
import { MAX_BODY_BYTES } from '../http/limits.js'

const tags = ['Events']
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })

export const CatalogueList = z.object({
  data: z.array(z.object({
    type: z.enum(EVENT_TYPES),
    description: z.string(),
    schema_version: z.number().int(),
    schema: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema (draft 2020-12) of the whole event' }),
    example: z.record(z.string(), z.unknown()),
  })),
}).openapi('EventCatalogue')

export const listEventTypesRoute = createRoute({
  method: 'get', path: '/', security: bearerSecurity, tags, middleware: [requireUser] as const, operationId: 'listEventTypes',
  summary: 'The event catalogue: every event type with its description, JSON Schema and an example',
  responses: { 200: jsonContent(CatalogueList, 'All event types') },
})

export const IngestResults = z.object({
  data: z.array(z.object({ id: z.string(), deliveries: z.number().int(), duplicate: z.boolean() })),
}).openapi('IngestResults')

const signatureHeaders = z.object({
  'webhook-id': z.string().openapi({ description: 'A unique id for this request (a single event may use its own id)' }),
  'webhook-timestamp': z.string().openapi({ description: 'Unix seconds when the request was signed' }),
  'webhook-signature': z.string().openapi({ description: 'v1,<base64 HMAC-SHA256 of "id.timestamp.body" keyed with QSM_BRIDGE_SECRET>' }),
})

export const ingestRoute = createRoute({
  method: 'post', path: '/', tags, security: bridgeSecurity, operationId: 'ingestEvents',
  summary: 'Ingest events from the QSM mail app (bridge)',
  description:
    `One event envelope, or {"events": [...]} with at most ${MAX_BATCH}. Signed with the Standard Webhooks headers and ` +
    'QSM_BRIDGE_SECRET. A batch is stored only when every event is valid. A repeated event id answers 200 with ' +
    'duplicate: true and creates no new deliveries. Bodies over ' + MAX_BODY_BYTES / 1024 + ' KB are refused with 413.',
  request: {
    headers: signatureHeaders,
    body: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi({ description: 'An event envelope or {"events": [...]}; see GET /v1/event-types' }) } } },
  },
  responses: {
    202: jsonContent(IngestResults, 'Stored; deliveries were queued'),
    200: jsonContent(IngestResults, 'Every event was already known (duplicate ids); nothing new was stored'),
    401: jsonContent(errorBody, 'Missing, forged or stale signature'),
    413: jsonContent(errorBody, `Body larger than ${MAX_BODY_BYTES / 1024} KB`),
    422: jsonContent(errorBody, 'Invalid JSON, an invalid event (each failing path is named), too many events, or webhook.test'),
    503: jsonContent(errorBody, 'The database does not answer, or the process already holds as many requests or events as it may; Retry-After says when to send again (the bridge spools)'),
  },
})
