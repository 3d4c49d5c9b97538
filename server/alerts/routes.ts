// The Alerts screen's API, mounted at /v1/alert-settings, scoped to the token's user.
import type { Context } from 'hono'
import { newRouter } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import type { AppEnv } from '../http/context.js'
import { getSettingsRoute, putSettingsRoute } from './route-defs.js'
import { readAlertSettings, saveAlertSettings } from './settings.js'

async function current(c: Context<AppEnv>) {
  const { db, config } = c.get('deps')
  return { ...(await readAlertSettings(db.db, c.get('userId'))), smtp_configured: config.smtpUrl !== '' }
}

export function alertRoutes() {
  const app = newRouter()
  app.use('*', requireUser)
  app.openapi(getSettingsRoute, async (c) => c.json(await current(c), 200))
  app.openapi(putSettingsRoute, async (c) => {
    const { db, clock } = c.get('deps')
    await saveAlertSettings(db, c.get('userId'), c.req.valid('json'), clock.now())
    return c.json(await current(c), 200)
  })
  return app
}
