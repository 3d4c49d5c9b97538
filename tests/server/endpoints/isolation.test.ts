import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp, type TestApp } from '../../helpers/app.js'

const HOOK = { url: 'https://example.com/hooks/qsm', event_types: ['email.*'] }
const NOT_FOUND = { error: { code: 'not_found', message: 'Webhook endpoint not found' } }

for (const dialect of dialects()) {
  describe(`${dialect}: one user never sees or changes another user's endpoints`, () => {
    const t = useTestDb(dialect)

    /** Alice's endpoint, and the raw row as it was before Bob tried anything. */
    async function alicesEndpoint(app: TestApp) {
      const created = await app.call('alice', 'POST', '/v1/webhooks', HOOK)
      expect(created.status).toBe(201)
      const before = await t.db.db.selectFrom('endpoints').selectAll().where('id', '=', created.json.id).executeTakeFirstOrThrow()
      return { id: created.json.id as string, before }
    }

    async function expectUnchanged(id: string, before: unknown) {
      const after = await t.db.db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst()
      expect(after).toEqual(before)
    }

    it.each([
      ['GET', '', undefined],
      ['PATCH', '', { description: 'bob was here', is_active: false }],
      ['PATCH', '', { url: 'https://bob.example/steal', event_types: ['*'] }],
      ['PATCH', '', { secret: 'whsec_' + Buffer.alloc(32, 3).toString('base64') }],
      ['DELETE', '', undefined],
      ['GET', '/secret', undefined],
      ['POST', '/rotate-secret', {}],
      ['POST', '/rotate-secret', { grace_seconds: 0 }],
    ])('answers 404 to %s /v1/webhooks/:id%s with another user\'s id, and changes nothing', async (method, suffix, body) => {
      const app = makeTestApp(t.db)
      const { id, before } = await alicesEndpoint(app)
      app.clock.advance(1000)
      const res = await app.call('bob', method, `/v1/webhooks/${id}${suffix}`, body)
      expect(res.status).toBe(404)
      expect(res.json).toEqual(NOT_FOUND)
      expect(JSON.stringify(res.json)).not.toContain('whsec_')
      await expectUnchanged(id, before)
      // Alice still sees it exactly as before.
      expect((await app.call('alice', 'GET', `/v1/webhooks/${id}`)).status).toBe(200)
    })

    it('answers the same 404 for an id that does not exist at all, so ids cannot be probed', async () => {
      const app = makeTestApp(t.db)
      const res = await app.call('bob', 'GET', '/v1/webhooks/wh_01JZZZZZZZZZZZZZZZZZZZZZZZ')
      expect(res).toMatchObject({ status: 404, json: NOT_FOUND })
    })

    it('leaves another user\'s endpoints out of the list', async () => {
      const app = makeTestApp(t.db)
      await alicesEndpoint(app)
      const res = await app.call('bob', 'GET', '/v1/webhooks')
      expect(res.json).toEqual({ data: [], next_cursor: null })
    })

    it('does not let a cursor from another user\'s list reveal anything', async () => {
      const app = makeTestApp(t.db)
      const { id } = await alicesEndpoint(app)
      const res = await app.call('bob', 'GET', `/v1/webhooks?cursor=${id.slice(0, -1)}0`)
      expect(res.json.data).toEqual([])
    })

    it('counts only the other user\'s own deliveries in their stats', async () => {
      const app = makeTestApp(t.db)
      const { id } = await alicesEndpoint(app)
      // A delivery row that claims Alice's endpoint but belongs to Bob must not show in her stats.
      await t.db.db.insertInto('deliveries').values({
        id: 'dlv_bob', event_id: 'evt_bob', endpoint_id: id, user_id: 'bob', event_type: 'email.received', status: 'failed', attempts: 1,
        next_attempt_at: null, lease_owner: null, last_status_code: 500, last_error: 'HTTP 500', last_attempt_at: app.clock.now(), last_duration_ms: 5,
        created_at: app.clock.now(), updated_at: app.clock.now(),
      }).execute()
      const res = await app.call('alice', 'GET', `/v1/webhooks/${id}`)
      expect(res.json.stats).toEqual({ deliveries_24h: 0, success_rate_24h: null, last_delivery_at: null, last_delivery_status: null })
    })
  })
}
