// GET|POST /tick for host cron and POST /v1/webhooks/:id/test for the dashboard. (The delivery
// log and redelivery routes live in log/routes.ts.)
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { newRouter } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import { ApiError, notFound } from '../http/errors.js'
import type { AppEnv } from '../http/context.js'
import { findEndpoint } from '../endpoints/queries.js'
import { testSendRoute, tickGetRoute, tickPostRoute } from './route-defs.js'
import { runTick } from '../delivery/tick.js'
import { sendTestEvent } from '../test-send/send.js'

/** Equal in constant time; hashing first makes the lengths equal and hides the token's length. */
export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b) && given.length > 0
}

function checkCronToken(c: Context<AppEnv>): void {
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
  const given = bearer ?? c.req.query('token') ?? ''
  if (!sameToken(given, c.get('deps').config.cronToken)) {
    throw new ApiError('unauthorized', 'Send the cron token (QSM_CRON_TOKEN) as ?token= or Authorization: Bearer')
  }
}

export function deliveryRoutes() {
  const app = newRouter()
  const tick = async (c: Context<AppEnv>) => {
    checkCronToken(c)
    return c.json(await runTick(c.get('deps')), 200)
  }
  app.openapi(tickGetRoute, tick)
  app.openapi(tickPostRoute, tick)

  app.use('/v1/webhooks/:id/test', requireUser)
  app.openapi(testSendRoute, async (c) => {
    const deps = c.get('deps')
    const userId = c.get('userId')
    const endpoint = await findEndpoint(deps.db.db, userId, c.req.valid('param').id)
    if (!endpoint) throw notFound('Webhook endpoint')
    return c.json(await sendTestEvent(deps, endpoint, userId), 200)
  })
  return app
}
