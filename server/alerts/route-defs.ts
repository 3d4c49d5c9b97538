// GET/PUT /v1/alert-settings as OpenAPI definitions; routes.ts attaches the handlers.
import { createRoute, z } from '@hono/zod-openapi'
import { bearerSecurity } from '../http/openapi.js'
import { AlertSettings, AlertSettingsBody } from './schemas.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const tags = ['Alerts']

export const getSettingsRoute = createRoute({
  method: 'get', path: '/', operationId: 'getAlertSettings', security: bearerSecurity, tags, summary: 'Where endpoint alert e-mails go',
  responses: { 200: json(AlertSettings, "The signed-in user's alert settings") },
})

export const putSettingsRoute = createRoute({
  method: 'put', path: '/', operationId: 'updateAlertSettings', security: bearerSecurity, tags, summary: 'Change the alert address, or turn alerts off',
  description: 'An address set here wins over the one in the sign-in link from then on.',
  request: { body: { content: { 'application/json': { schema: AlertSettingsBody } }, required: true } },
  responses: { 200: json(AlertSettings, 'The saved settings') },
})
