// GET|POST /tick for host cron: one bounded delivery pass (server/delivery/tick.ts), guarded by the
// cron token. Mounted at /tick.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { newRouter } from '../http/openapi.js'
import { ApiError } from '../http/errors.js'
import type { AppEnv } from '../http/context.js'
import { tickGetRoute, tickPostRoute } from './route-defs.js'
import { runTick } from '../delivery/tick.js'

/** Equal in constant time; hashing first makes the lengths equal and hides the token's length. */
function sameToken(given: string, expected: string): boolean {
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

export function cronRoutes() {
  const app = newRouter()
  const tick = async (c: Context<AppEnv>) => {
    checkCronToken(c)
    const deps = c.get('deps')
    const summary = await runTick(deps)
    // Alert e-mails go out after the tick, in the background: a slow mail server never delays its answer.
    deps.alerts.kick()
    return c.json(summary, 200)
  }
  app.openapi(tickGetRoute, tick)
  app.openapi(tickPostRoute, tick)
  return app
}
