// Route modules are OpenAPIHono apps, so /openapi.json is generated from the same zod schemas
// that validate requests. Validation failures become one 422 shape through validationError().
import { OpenAPIHono, z } from '@hono/zod-openapi'
import { validationError } from './errors.js'
import type { AppEnv } from './context.js'

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error)
    },
  })
}

export const bearerSecurity = [{ bearerAuth: [] }]

/** Ingest: the Standard Webhooks signature made with QSM_BRIDGE_SECRET (webhook-id/-timestamp/-signature headers). */
export const bridgeSecurity = [{ bridgeSignature: [] }]
/** /tick: QSM_CRON_TOKEN as a bearer token or as ?token=. */
export const cronSecurity: Record<string, string[]>[] = [{ cronBearer: [] }, { cronTokenQuery: [] }]

export const idempotencyHeader = z.object({
  'idempotency-key': z.string().max(200).optional().openapi({ description: 'Any unique string (e.g. a UUID); a repeat with the same key and body within 24 h answers the first answer' }),
})

export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  const r = app.openAPIRegistry
  r.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  r.registerComponent('securitySchemes', 'bridgeSignature', {
    type: 'apiKey', in: 'header', name: 'webhook-signature',
    description: 'v1,<base64 HMAC-SHA256 of "webhook-id.webhook-timestamp.body" keyed with QSM_BRIDGE_SECRET>, with the webhook-id and webhook-timestamp headers',
  })
  r.registerComponent('securitySchemes', 'cronBearer', { type: 'http', scheme: 'bearer', description: 'QSM_CRON_TOKEN' })
  r.registerComponent('securitySchemes', 'cronTokenQuery', { type: 'apiKey', in: 'query', name: 'token', description: 'QSM_CRON_TOKEN' })
}

/** A JSON response (or body) entry for createRoute. */
export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
