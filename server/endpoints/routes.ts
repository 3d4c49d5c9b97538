// Endpoint management: GET/POST /v1/webhooks, GET/PATCH/DELETE /v1/webhooks/:id, the secret
// reveal and rotation, mounted at /v1/webhooks. Every query is scoped to the token's user; another user's id is a 404.
import { newRouter } from '../http/openapi.js'
import { requireUser } from '../http/require-user.js'
import { notFound } from '../http/errors.js'
import { createEndpointRoute, deleteRoute, getRoute, listRoute, revealRoute, rotateRoute, updateRoute } from './route-defs.js'
import { endpointToApi, findEndpoint, listEndpointRows } from './queries.js'
import { endpointStats } from './stats.js'
import { recentFailures } from './recent-failures.js'
import { createEndpoint } from './create.js'
import { updateEndpoint } from './update.js'
import { deleteEndpoint } from './remove.js'
import { applySecretChange, revealSecret, secretChange } from './secret.js'
import { autocommitWrites } from '../db/write-first.js'
import { generateSecret } from '../crypto/secrets.js'
import type { Context } from 'hono'
import type { AppEnv } from '../http/context.js'
import type { EndpointRow } from '../db/schema.js'

const policyOf = (c: Context<AppEnv>) => {
  const { config } = c.get('deps')
  return { failingAfterFailures: config.failingAfterFailures, failingAfterMs: config.failingAfterMs }
}

async function withStats(c: Context<AppEnv>, row: EndpointRow) {
  const { db, clock } = c.get('deps')
  const now = clock.now()
  const stats = await endpointStats(db.db, c.get('userId'), [row.id], now)
  const failures = await recentFailures(db.db, c.get('userId'), row.id)
  return endpointToApi(row, now, policyOf(c), stats.get(row.id), failures)
}

async function mustFind(c: Context<AppEnv>, id: string): Promise<EndpointRow> {
  const row = await findEndpoint(c.get('deps').db.db, c.get('userId'), id)
  if (!row) throw notFound('Webhook endpoint')
  return row
}

export function endpointRoutes() {
  const app = newRouter()
  app.use('*', requireUser)

  app.openapi(listRoute, async (c) => {
    const { db, clock } = c.get('deps')
    const userId = c.get('userId')
    const now = clock.now()
    const { rows, nextCursor } = await listEndpointRows(db.db, userId, c.req.valid('query'))
    const stats = await endpointStats(db.db, userId, rows.map((r) => r.id), now)
    return c.json({ data: rows.map((r) => endpointToApi(r, now, policyOf(c), stats.get(r.id))), next_cursor: nextCursor }, 200)
  })

  app.openapi(createEndpointRoute, async (c) => {
    const { row, secret } = await createEndpoint(c.get('deps'), c.get('userId'), c.req.valid('json'))
    return c.json({ ...endpointToApi(row, c.get('deps').clock.now(), policyOf(c)), secret }, 201)
  })

  app.openapi(getRoute, async (c) => c.json(await withStats(c, await mustFind(c, c.req.valid('param').id)), 200))

  app.openapi(updateRoute, async (c) => {
    const row = await updateEndpoint(c.get('deps'), c.get('userId'), c.req.valid('param').id, c.req.valid('json'))
    return c.json(await withStats(c, row), 200)
  })

  app.openapi(deleteRoute, async (c) => {
    await autocommitWrites(c.get('deps').db, (q) => deleteEndpoint(q, c.get('userId'), c.req.valid('param').id))
    return c.body(null, 204)
  })

  app.openapi(revealRoute, async (c) => {
    const row = await mustFind(c, c.req.valid('param').id)
    return c.json(revealSecret(row, c.get('deps').config.appKey), 200)
  })

  app.openapi(rotateRoute, async (c) => {
    const { config, db, clock } = c.get('deps')
    const row = await mustFind(c, c.req.valid('param').id)
    const graceMs = (c.req.valid('json')?.grace_seconds ?? config.rotationGraceMs / 1000) * 1000
    const secret = generateSecret()
    const now = clock.now()
    const change = secretChange(row, secret, config.appKey, now, graceMs)
    await autocommitWrites(db, (q) => applySecretChange(q, row, change, now))
    return c.json(
      {
        secret,
        key_id: change.secret_key_id as string,
        previous_key_id: change.previous_key_id ?? null,
        previous_key_expires_at: change.previous_expires_at == null ? null : new Date(change.previous_expires_at as number).toISOString(),
      },
      200,
    )
  })
  return app
}
