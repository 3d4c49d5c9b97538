import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp, type TestApp } from '../../helpers/app.js'
import { runTick } from '../../../server/delivery/tick.js'

const BODY = { url: 'https://example.com/hook', event_types: ['*'] }

async function post(t: TestApp, userId: string, key: string, body: unknown) {
  const res = await t.app.request('/v1/webhooks', {
    method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${await t.token(userId)}`, 'content-type': 'application/json', 'idempotency-key': key },
  })
  return { status: res.status, json: await res.json(), replayed: res.headers.get('idempotent-replayed') }
}

for (const dialect of dialects()) {
  describe(`${dialect}: Idempotency-Key on endpoint create`, () => {
    const t = useTestDb(dialect)

    it('answers a retried create with the first answer and makes one endpoint', async () => {
      const app = makeTestApp(t.db)
      const first = await post(app, 'u1', 'key-1', BODY)
      const again = await post(app, 'u1', 'key-1', BODY)
      expect(first.status).toBe(201)
      expect([again.status, again.replayed]).toEqual([201, 'true'])
      expect(again.json).toEqual(first.json)
      expect((await app.call('u1', 'GET', '/v1/webhooks')).json.data).toHaveLength(1)
      // The stored answer holds the secret, so it is stored sealed.
      const row = await t.db.db.selectFrom('idempotency_keys').selectAll().executeTakeFirstOrThrow()
      expect(row.body_enc).not.toContain(first.json.secret.slice(6))
    })

    it('refuses the same key with another body with 422', async () => {
      const app = makeTestApp(t.db)
      await post(app, 'u1', 'key-1', BODY)
      const other = await post(app, 'u1', 'key-1', { ...BODY, description: 'another' })
      expect(other.status).toBe(422)
      expect(other.json.error.message).toMatch(/^Idempotency-Key: was already used with a different request/)
    })

    it('keeps keys apart per user, forgets failed requests, and forgets keys after 24 h', async () => {
      const app = makeTestApp(t.db)
      const a = await post(app, 'u1', 'shared', BODY)
      const b = await post(app, 'u2', 'shared', BODY)
      expect(b.status).toBe(201)
      expect(b.json.id).not.toBe(a.json.id)
      expect((await post(app, 'u1', 'fix-me', { url: '' })).status).toBe(422)
      expect((await post(app, 'u1', 'fix-me', BODY)).status).toBe(201)
      app.clock.advance(24 * 3_600_000 + 1)
      await runTick(app.deps)
      expect(await t.db.db.selectFrom('idempotency_keys').selectAll().execute()).toEqual([])
      const later = await post(app, 'u1', 'shared', BODY)
      expect([later.status, later.replayed]).toEqual([201, null])
      expect(later.json.id).not.toBe(a.json.id)
    })
  })
}
