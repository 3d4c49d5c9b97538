// Who may touch what. Two sweeps driven by /openapi.json, so a route added later is covered
// without editing this file:
//   1. every route with an {id}, called by Bob with Alice's ids: 404 not_found, and not one byte
//      of any table changes;
//   2. every bearer-protected route, called with each kind of bad token: 401, nothing changes.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp, type TestApp } from '../helpers/app.js'
import { seedPair } from '../helpers/seed.js'
import { dashboardTokenKey } from '../../server/auth/token.js'
import { dumpAllRows } from '../reliability/support.js'

interface Operation {
  method: string
  path: string
  bearer: boolean
  hasBody: boolean
}

async function operations(app: TestApp): Promise<Operation[]> {
  const spec = (await (await app.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>> }
  const ops: Operation[] = []
  for (const [path, byMethod] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      ops.push({ method: method.toUpperCase(), path, bearer: JSON.stringify(op.security ?? []).includes('bearerAuth'), hasBody: !!op.requestBody })
    }
  }
  return ops
}

/** A valid-looking body per route, so Bob's request fails on ownership, not on validation. */
function bodyFor(op: Operation, alice: { endpointId: string }): unknown {
  if (op.method === 'GET' || op.method === 'DELETE') return undefined
  if (op.method === 'PATCH' && op.path.startsWith('/v1/webhooks/')) return { description: 'bob was here', is_active: false, event_types: ['*'] }
  if (op.path === '/v1/webhooks/{id}/rotate-secret') return { grace_seconds: 0 }
  if (op.path === '/v1/webhooks') return { url: 'https://example.com/bob', event_types: ['*'] }
  if (op.path === '/v1/deliveries/replay') return { endpoint_id: alice.endpointId, since: '2000-01-01T00:00:00.000Z' }
  return op.hasBody || op.method === 'POST' ? {} : undefined
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | null, hash = 'sha256'): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`
  return `${unsigned}.${key === null ? '' : createHmac(hash, key).update(unsigned).digest('base64url')}`
}

for (const dialect of dialects()) {
  describe(`${dialect}: access control over every route in /openapi.json`, () => {
    const t = useTestDb(dialect)
    const env = { QSM_RATE_LIMIT_PER_IP: '100000', QSM_RATE_LIMIT_PER_USER: '100000' }

    async function aliceWorld(app: TestApp) {
      const created = await app.call('alice', 'POST', '/v1/webhooks', { url: 'https://alice.example/hook', event_types: ['*'] })
      expect(created.status).toBe(201)
      const endpointId = created.json.id as string
      // A failed delivery: retry and replay would both change it if Bob got through.
      const { eventId, deliveryId } = await seedPair(t.db, { userId: 'alice', endpointId, status: 'failed', at: app.clock.now() - 60_000 })
      await t.db.db.updateTable('deliveries').set({ attempts: 5, last_status_code: 500, last_error: 'HTTP 500' }).where('id', '=', deliveryId).execute()
      return { endpointId, eventId, deliveryId, secret: created.json.secret as string }
    }

    it('answers 404 to Bob on every {id} route called with Alice\'s ids, and changes nothing', async () => {
      const app = makeTestApp(t.db, { env })
      const alice = await aliceWorld(app)
      await app.call('bob', 'POST', '/v1/webhooks', { url: 'https://bob.example/hook', event_types: ['*'] })
      const idRoutes = (await operations(app)).filter((op) => op.path.includes('{id}'))
      // The sweep must not pass vacuously: the endpoint and delivery log routes alone have 7.
      expect(idRoutes.length).toBeGreaterThanOrEqual(7)
      const before = await dumpAllRows(t.db)
      const tried: string[] = []
      for (const op of idRoutes) {
        let id: string
        if (op.path.startsWith('/v1/webhooks/')) id = alice.endpointId
        else if (op.path.startsWith('/v1/deliveries/')) id = alice.deliveryId
        else throw new Error(`the sweep does not know which id ${op.method} ${op.path} takes; add it here`)
        const path = op.path.replace('{id}', id)
        const res = await app.call('bob', op.method, path, bodyFor(op, alice))
        tried.push(`${op.method} ${op.path} -> ${res.status}`)
        expect(res.status, `${op.method} ${path}`).toBe(404)
        expect(res.json.error.code).toBe('not_found')
        const text = JSON.stringify(res.json)
        for (const leak of ['alice', alice.secret, 'alice.example', alice.eventId]) expect(text).not.toContain(leak)
      }
      expect(await dumpAllRows(t.db)).toBe(before)
      // Alice still sees everything as it was.
      expect((await app.call('alice', 'GET', `/v1/webhooks/${alice.endpointId}`)).status).toBe(200)
      expect((await app.call('alice', 'GET', `/v1/deliveries/${alice.deliveryId}`)).json.status).toBe('failed')
    })

    it('hides Alice\'s rows from Bob\'s lists, filters, cursors and replay body', async () => {
      const app = makeTestApp(t.db, { env })
      const alice = await aliceWorld(app)
      const before = await dumpAllRows(t.db)
      const empty = { data: [], next_cursor: null }
      expect((await app.call('bob', 'GET', '/v1/webhooks')).json).toEqual(empty)
      expect((await app.call('bob', 'GET', `/v1/deliveries?endpoint_id=${alice.endpointId}`)).json).toEqual(empty)
      expect((await app.call('bob', 'GET', `/v1/deliveries?cursor=${alice.deliveryId}`)).json.data).toEqual([])
      expect((await app.call('bob', 'GET', '/v1/deliveries?status=failed')).json).toEqual(empty)
      const replay = await app.call('bob', 'POST', '/v1/deliveries/replay', { endpoint_id: alice.endpointId, since: '2000-01-01T00:00:00.000Z' })
      expect(replay.status).toBe(404)
      expect(await dumpAllRows(t.db)).toBe(before)
    })

    it('answers 401 to every bearer route for each kind of bad token, and changes nothing', async () => {
      const app = makeTestApp(t.db, { env })
      const alice = await aliceWorld(app)
      const key = dashboardTokenKey(app.deps.config.bridgeSecret)
      const now = Math.floor(app.clock.now() / 1000)
      const good = { sub: 'alice', iat: now, exp: now + 600 }
      const hs = { alg: 'HS256', typ: 'JWT' }
      const valid = jwt(hs, good, key)
      const [vh, , vs] = valid.split('.')
      const bad: Record<string, string | null> = {
        'no Authorization header': null,
        'Basic scheme': 'Basic YWxpY2U6cGFzcw==',
        'empty bearer': 'Bearer ',
        'garbage': 'Bearer abc.def.ghi',
        'two parts': `Bearer ${vh}.${b64url(good)}`,
        'four parts': `Bearer ${valid}.x`,
        'alg none, no signature': `Bearer ${jwt({ alg: 'none', typ: 'JWT' }, good, null)}`,
        'alg None spelled differently': `Bearer ${jwt({ alg: 'None', typ: 'JWT' }, good, null)}`,
        'alg none with a real signature': `Bearer ${jwt({ alg: 'none', typ: 'JWT' }, good, key)}`,
        'HS512 with the right key': `Bearer ${jwt({ alg: 'HS512', typ: 'JWT' }, good, key, 'sha512')}`,
        'RS256 header, HMAC signature (key confusion)': `Bearer ${jwt({ alg: 'RS256', typ: 'JWT' }, good, key)}`,
        'sub changed after signing': `Bearer ${vh}.${b64url({ ...good, sub: 'bob' })}.${vs}`,
        'signed with another key': `Bearer ${jwt(hs, good, dashboardTokenKey('another-bridge-secret-that-is-long-enough'))}`,
        'signed with the raw bridge secret': `Bearer ${jwt(hs, good, app.deps.config.bridgeSecret)}`,
        'signed with the cron token': `Bearer ${jwt(hs, good, app.deps.config.cronToken)}`,
        'expired an hour ago': `Bearer ${jwt(hs, { sub: 'alice', iat: now - 7200, exp: now - 3600 }, key)}`,
        'lives a day': `Bearer ${jwt(hs, { sub: 'alice', iat: now, exp: now + 86_400 }, key)}`,
        'no exp': `Bearer ${jwt(hs, { sub: 'alice', iat: now }, key)}`,
        'exp as a string': `Bearer ${jwt(hs, { sub: 'alice', iat: now, exp: String(now + 600) }, key)}`,
        'empty sub': `Bearer ${jwt(hs, { ...good, sub: '' }, key)}`,
        'numeric sub': `Bearer ${jwt(hs, { ...good, sub: 42 }, key)}`,
        'sub of 65 characters': `Bearer ${jwt(hs, { ...good, sub: 'a'.repeat(65) }, key)}`,
        'signature stripped': `Bearer ${vh}.${b64url(good)}.`,
      }
      const routes = (await operations(app)).filter((op) => op.bearer)
      expect(routes.length).toBeGreaterThanOrEqual(10)
      const before = await dumpAllRows(t.db)
      let requests = 0
      for (const op of routes) {
        const path = op.path.replace('{id}', op.path.startsWith('/v1/deliveries') ? alice.deliveryId : alice.endpointId)
        const body = bodyFor(op, alice)
        for (const [name, authorization] of Object.entries(bad)) {
          const headers: Record<string, string> = { 'content-type': 'application/json' }
          if (authorization !== null) headers.authorization = authorization
          const res = await app.app.request(path, { method: op.method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
          requests += 1
          expect(res.status, `${op.method} ${op.path} with ${name}`).toBe(401)
          expect(((await res.json()) as any).error.code).toBe('unauthorized')
        }
      }
      expect(requests).toBe(routes.length * Object.keys(bad).length)
      expect(await dumpAllRows(t.db)).toBe(before)
      // The control: the well-formed token works.
      const ok = await app.app.request('/v1/webhooks', { headers: { authorization: `Bearer ${valid}` } })
      expect(ok.status).toBe(200)
    })
  })
}
