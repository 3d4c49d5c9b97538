// POST /v1/webhooks/:id/test for the dashboard's "Send test event". Mounted at /v1/webhooks.
import { newRouter } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import { notFound } from '../http/errors.js'
import { findEndpoint } from '../endpoints/queries.js'
import { testSendRoute } from './route-defs.js'
import { sendTestEvent } from './send.js'

export function testSendRoutes() {
  const app = newRouter()
  app.use('/:id/test', requireUser)
  app.openapi(testSendRoute, async (c) => {
    const deps = c.get('deps')
    const userId = c.get('userId')
    const endpoint = await findEndpoint(deps.db.db, userId, c.req.valid('param').id)
    if (!endpoint) throw notFound('Webhook endpoint')
    return c.json(await sendTestEvent(deps, endpoint, userId), 200)
  })
  return app
}
