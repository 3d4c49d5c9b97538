// The delivery log API: list with filters and cursor paging, one delivery with its attempts,
// redeliver one, and replay every failed delivery of an endpoint in a time range.
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter, bearerSecurity } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import { ApiError, notFound } from '../http/errors.js'
import { Delivery, DeliveryDetail, DeliveryPage, IdParam, ListQuery, ReplayBody, ReplayResult } from './schemas.js'
import { deliveryToApi, findDelivery, listAttempts, listDeliveries } from './queries.js'
import { replayFailed, retryDelivery } from '../redelivery/redeliver.js'
import { autocommitWrites } from '../db/write-first.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso))

const list = createRoute({
  method: 'get', path: '/v1/deliveries', security: bearerSecurity, summary: 'List deliveries, newest first',
  request: { query: ListQuery },
  responses: { 200: json(DeliveryPage, 'A page of deliveries') },
})
const get = createRoute({
  method: 'get', path: '/v1/deliveries/{id}', security: bearerSecurity, summary: 'One delivery with its attempts',
  request: { params: IdParam },
  responses: { 200: json(DeliveryDetail, 'The delivery') },
})
const retry = createRoute({
  method: 'post', path: '/v1/deliveries/{id}/retry', security: bearerSecurity, summary: 'Redeliver one delivery now',
  request: { params: IdParam },
  responses: { 202: json(z.object({ delivery: Delivery }), 'Due now; the next runner pass sends it') },
})
const replay = createRoute({
  method: 'post', path: '/v1/deliveries/replay', security: bearerSecurity, summary: 'Redeliver every failed delivery of an endpoint in a time range',
  request: { body: { content: { 'application/json': { schema: ReplayBody } }, required: true } },
  responses: { 202: json(ReplayResult, 'How many deliveries are due again') },
})

export function deliveryLogRoutes() {
  const app = newRouter()
  // Also matches /v1/deliveries itself.
  app.use('/v1/deliveries/*', requireUser)

  app.openapi(list, async (c) => {
    const q = c.req.valid('query')
    const { db } = c.get('deps')
    const page = await listDeliveries(db.db, c.get('userId'), { ...q, since: ms(q.since), until: ms(q.until) })
    return c.json(page, 200)
  })

  app.openapi(replay, async (c) => {
    const body = c.req.valid('json')
    const { db, clock, dispatcher } = c.get('deps')
    const endpoint = await db.db.selectFrom('endpoints').select('id').where('id', '=', body.endpoint_id).where('user_id', '=', c.get('userId')).executeTakeFirst()
    if (!endpoint) throw notFound('Webhook endpoint')
    const now = clock.now()
    const since = Date.parse(body.since)
    const until = body.until ? Date.parse(body.until) : now + 1
    if (until <= since) throw new ApiError('validation_failed', 'until: must be later than since', [{ path: 'until', message: 'must be later than since' }])
    const result = await autocommitWrites(db, (q) => replayFailed(q, endpoint.id, since, until, now))
    if (result.replayed > 0) dispatcher.wake()
    return c.json(result, 202)
  })

  app.openapi(get, async (c) => {
    const { db } = c.get('deps')
    const row = await findDelivery(db.db, c.get('userId'), c.req.valid('param').id)
    if (!row) throw notFound('Delivery')
    return c.json({ ...deliveryToApi(row), attempts_log: await listAttempts(db.db, row.id) }, 200)
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
