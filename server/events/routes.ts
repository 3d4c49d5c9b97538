// GET /v1/event-types (dashboard) and POST /v1/events (the mail app's bridge), each a sub-app
// mounted at its own path.
// Ingest order matters: size limit, then signature over the raw bytes, then room in the process
// (deps.ingestGate), JSON and schemas, and only then one transaction (group-committed by
// deps.ingest). A refused request stores nothing.
import { limitBody } from '../http/body-limit.js'
import { newRouter } from '../http/openapi.js'
import { ApiError } from '../http/errors.js'
import { MAX_BODY_BYTES } from '../http/limits.js'
import { eventCatalogue } from './catalogue.js'
import { ingestRoute, listEventTypesRoute } from './route-defs.js'
import { verifyBridgeRequest } from './verify-bridge.js'
import { parseEventsBody } from './parse-body.js'

export function eventTypeRoutes() {
  return newRouter().openapi(listEventTypesRoute, (c) => c.json({ data: eventCatalogue() }, 200))
}

export function ingestRoutes() {
  const app = newRouter()
  app.openAPIRegistry.registerPath(ingestRoute)
  app.post(
    '/',
    limitBody(MAX_BODY_BYTES, () => {
      throw new ApiError('payload_too_large', `The request body is larger than ${MAX_BODY_BYTES / 1024} KB; send fewer events per request`)
    }),
    async (c) => {
      const text = await c.req.text()
      verifyBridgeRequest(c, text)
      const deps = c.get('deps')
      // Held from here to the answer: the parsed events and the wait for their commit (admission.ts).
      const leave = deps.ingestGate.enter(text.length)
      if (!leave) throw new ApiError('unavailable', 'Too many events are being stored right now; try again in a second', undefined, { 'Retry-After': '1' })
      try {
        const events = parseEventsBody(text)
        const results = await deps.ingest.submit(events)
        const allDuplicates = results.every((r) => r.duplicate)
        return c.json({ data: results }, allDuplicates ? 200 : 202)
      } finally {
        leave()
      }
    },
  )
  return app
}
