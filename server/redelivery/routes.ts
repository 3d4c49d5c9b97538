// Redeliver one delivery, or replay every failed delivery in a time range (one endpoint or all). Mounted
// at /v1/deliveries beside the log routes; both answer 202 and the runner does the sending.
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter, bearerSecurity, jsonContent } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import { ApiError, notFound } from '../http/errors.js'
import { autocommitWrites } from '../db/write-first.js'
import { Delivery, IdParam, ReplayBody, ReplayResult } from '../delivery-log/schemas.js'
import { deliveryToApi, findDelivery } from '../delivery-log/queries.js'
import { replayFailed, retryDelivery } from './redeliver.js'


const retry = createRoute({
  method: 'post', path: '/{id}/retry', security: bearerSecurity, operationId: 'redeliverDelivery', summary: 'Redeliver one delivery now',
  request: { params: IdParam },
  responses: { 202: jsonContent(z.object({ delivery: Delivery }), 'Due now; the next runner pass sends it') },
})
const replay = createRoute({
  method: 'post', path: '/replay', security: bearerSecurity, operationId: 'replayDeliveries', summary: 'Redeliver every failed delivery in a time range, of one endpoint or all of them',
  request: { body: { content: { 'application/json': { schema: ReplayBody } }, required: true } },
  responses: { 202: jsonContent(ReplayResult, 'How many deliveries are due again') },
})

export function redeliveryRoutes() {
  const app = newRouter()
  app.use('*', requireUser)

  app.openapi(replay, async (c) => {
    const body = c.req.valid('json')
    const { db, clock, dispatcher } = c.get('deps')
    const userId = c.get('userId')
    if (body.endpoint_id !== undefined) {
      const endpoint = await db.db.selectFrom('endpoints').select('id').where('id', '=', body.endpoint_id).where('user_id', '=', userId).executeTakeFirst()
      if (!endpoint) throw notFound('Webhook endpoint')
    }
    const now = clock.now()
    const since = Date.parse(body.since)
    const until = body.until ? Date.parse(body.until) : now + 1
    if (until <= since) throw new ApiError('validation_failed', 'until: must be later than since', [{ path: 'until', message: 'must be later than since' }])
    const result = await autocommitWrites(db, (q) => replayFailed(q, userId, body.endpoint_id ?? null, since, until, now))
    if (result.replayed > 0) dispatcher.wake()
    return c.json(result, 202)
  })

  app.openapi(retry, async (c) => {
    const { db, clock, dispatcher } = c.get('deps')
    const userId = c.get('userId')
    const row = await findDelivery(db.db, userId, c.req.valid('param').id)
    if (!row) throw notFound('Delivery')
    await autocommitWrites(db, (q) => retryDelivery(q, row, clock.now()))
    dispatcher.wake()
    const updated = await findDelivery(db.db, userId, row.id)
    return c.json({ delivery: deliveryToApi(updated!) }, 202)
  })
  return app
}
