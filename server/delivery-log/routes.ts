// The delivery log API: list with filters and cursor paging, and one delivery with its attempts.
// Mounted at /v1/deliveries; redelivery (POST) routes are in server/redelivery/.
import { createRoute } from '@hono/zod-openapi'
import { newRouter, bearerSecurity, jsonContent } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import { notFound } from '../http/errors.js'
import { DeliveryDetail, DeliveryPage, IdParam, ListQuery } from './schemas.js'
import { deliveryToApi, findDelivery, findPayload, listAttempts, listDeliveries } from './queries.js'

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso))

const list = createRoute({
  method: 'get', path: '/', security: bearerSecurity, operationId: 'listDeliveries', summary: 'List deliveries, newest first',
  request: { query: ListQuery },
  responses: { 200: jsonContent(DeliveryPage, 'A page of deliveries') },
})
const get = createRoute({
  method: 'get', path: '/{id}', security: bearerSecurity, operationId: 'getDelivery', summary: 'One delivery: its payload as sent, headers and every attempt with the start of the answer',
  request: { params: IdParam },
  responses: { 200: jsonContent(DeliveryDetail, 'The delivery') },
})

export function deliveryLogRoutes() {
  const app = newRouter()
  app.use('*', requireUser)

  app.openapi(list, async (c) => {
    const q = c.req.valid('query')
    const { db } = c.get('deps')
    const page = await listDeliveries(db.db, c.get('userId'), { ...q, since: ms(q.since), until: ms(q.until) })
    return c.json(page, 200)
  })

  app.openapi(get, async (c) => {
    const { db, config } = c.get('deps')
    const row = await findDelivery(db.db, c.get('userId'), c.req.valid('param').id)
    if (!row) throw notFound('Delivery')
    const [payload, attempts] = await Promise.all([findPayload(db.db, row.event_id), listAttempts(db.db, row.id)])
    const hours = config.payloadRetentionHours
    return c.json({
      ...deliveryToApi(row),
      payload,
      payload_note: payload === null ? `The payload was removed ${hours} h after the event arrived (payload retention), so it can no longer be shown or sent again.` : null,
      request_headers: attempts.length > 0 ? attempts[attempts.length - 1]!.request_headers : null,
      attempts_log: attempts,
    }, 200)
  })
  return app
}
