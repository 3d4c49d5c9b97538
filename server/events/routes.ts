// GET /v1/event-types (dashboard) and POST /v1/events (the mail app's bridge).
// Ingest order matters: size limit, then signature over the raw bytes, then JSON and schemas,
// and only then one transaction. A refused request stores nothing.
import { bodyLimit } from 'hono/body-limit'
import { newRouter } from '../http/openapi.js'
import { ApiError } from '../http/errors.js'
import { eventCatalogue } from './catalogue.js'
import { ingestRoute, listEventTypesRoute } from './route-defs.js'
import { verifyBridgeRequest } from './verify-bridge.js'
import { parseEventsBody } from './parse-body.js'

export const MAX_INGEST_BYTES = 64 * 1024

export function eventRoutes() {
  const app = newRouter()

  app.openapi(listEventTypesRoute, (c) => c.json({ data: eventCatalogue() }, 200))

  app.openAPIRegistry.registerPath(ingestRoute)
  app.post(
    '/v1/events',
    bodyLimit({
      maxSize: MAX_INGEST_BYTES,
      onError: () => {
        throw new ApiError('payload_too_large', `The request body is larger than ${MAX_INGEST_BYTES / 1024} KB; send fewer events per request`)
      },
    }),
    async (c) => {
      const text = await c.req.text()
      verifyBridgeRequest(c, text)
      const events = parseEventsBody(text)
      const results = await c.get('deps').ingest.submit(events)
      const allDuplicates = results.every((r) => r.duplicate)
      return c.json({ data: results }, allDuplicates ? 200 : 202)
    },
  )
  return app
}
