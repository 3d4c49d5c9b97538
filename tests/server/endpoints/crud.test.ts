import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { seedPair } from '../../helpers/seed.js'

const HOOK = { url: 'https://example.com/hooks/qsm', event_types: ['email.*'] }

for (const dialect of dialects()) {
  describe(`${dialect}: webhook endpoint CRUD`, () => {
    const t = useTestDb(dialect)

    it('creates an endpoint and answers 201 with its secret, ids and defaults', async () => {
      const { call, clock } = makeTestApp(t.db)
      const res = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, description: 'Order system' })
      expect(res.status).toBe(201)
      const now = new Date(clock.now()).toISOString()
      expect(res.json).toEqual({
        id: expect.stringMatching(/^wh_[0-9A-Z]{26}$/),
        url: 'https://example.com/hooks/qsm',
        description: 'Order system',
        event_types: ['email.*'],
        is_active: true,
        status: 'active',
        disabled_reason: null,
        disabled_at: null,
        secret_key_id: expect.stringMatching(/^key_[0-9A-Z]{26}$/),
        previous_key_id: null,
        previous_key_expires_at: null,
        rate_limit: null,
        headers: {},
        created_at: now,
        updated_at: now,
        stats: { deliveries_24h: 0, success_rate_24h: null, last_delivery_at: null, last_delivery_status: null },
        health: {
          state: 'healthy', since: null, consecutive_failures: 0, failing_since: null, last_error: null, last_failure_at: null,
          disabled_by: null, disabled_reason: null, recent_failures: [],
        },
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      })
    })

    it('keeps an optional rate limit, changes it with PATCH and removes it with null', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, rate_limit: { per: 'second', max: 10 } })
      expect(created.json.rate_limit).toEqual({ per: 'second', max: 10 })
      const patched = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { rate_limit: { per: 'minute', max: 120 } })
      expect(patched.json.rate_limit).toEqual({ per: 'minute', max: 120 })
      expect((await call('u1', 'GET', `/v1/webhooks/${created.json.id}`)).json.rate_limit).toEqual({ per: 'minute', max: 120 })
      expect((await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { rate_limit: null })).json.rate_limit).toBeNull()
      const bad = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { rate_limit: { per: 'hour', max: 0 } })
      expect(bad.status).toBe(422)
      expect(bad.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['rate_limit.max', 'rate_limit.per'])
    })

    it('reads an endpoint back without its secret', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const res = await call('u1', 'GET', `/v1/webhooks/${created.json.id}`)
      expect(res.status).toBe(200)
      const { secret: _secret, ...withoutSecret } = created.json
      expect(res.json).toEqual(withoutSecret)
    })

    it('lists only the signed-in user\'s endpoints, oldest first, with a null cursor on the last page', async () => {
      const { call, clock } = makeTestApp(t.db)
      const a = await call('u1', 'POST', '/v1/webhooks', HOOK)
      clock.advance(5)
      const b = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url: 'https://example.org/b' })
      await call('u2', 'POST', '/v1/webhooks', HOOK)
      const res = await call('u1', 'GET', '/v1/webhooks')
      expect(res.status).toBe(200)
      expect(res.json.data.map((e: { id: string }) => e.id)).toEqual([a.json.id, b.json.id])
      expect(res.json.next_cursor).toBeNull()
    })

    it('pages the list with limit and cursor', async () => {
      const { call, clock } = makeTestApp(t.db)
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        ids.push((await call('u1', 'POST', '/v1/webhooks', HOOK)).json.id)
        clock.advance(5)
      }
      const first = await call('u1', 'GET', '/v1/webhooks?limit=2')
      expect(first.json.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 2))
      expect(first.json.next_cursor).toBe(ids[1])
      const second = await call('u1', 'GET', `/v1/webhooks?limit=2&cursor=${first.json.next_cursor}`)
      expect(second.json.data.map((e: { id: string }) => e.id)).toEqual([ids[2]])
      expect(second.json.next_cursor).toBeNull()
    })

    it('updates url, description and event types, removing duplicate patterns', async () => {
      const { call, clock } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      clock.advance(1000)
      const res = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, {
        url: 'https://hooks.example.net/in', description: 'New name', event_types: ['email.failed', 'overflow.*', 'email.failed'],
      })
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ url: 'https://hooks.example.net/in', description: 'New name', event_types: ['email.failed', 'overflow.*'] })
      expect(res.json.updated_at).toBe(new Date(clock.now()).toISOString())
      expect(res.json.created_at).toBe(created.json.created_at)
      expect(res.json.secret_key_id).toBe(created.json.secret_key_id)
      const row = await t.db.db.selectFrom('endpoints').select('event_types').where('id', '=', created.json.id).executeTakeFirstOrThrow()
      expect(JSON.parse(row.event_types)).toEqual(['email.failed', 'overflow.*'])
    })

    it('creates a paused endpoint when is_active is false, and turns it on and off', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, is_active: false })
      expect(created.json).toMatchObject({ is_active: false, status: 'paused' })
      const on = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { is_active: true })
      expect(on.json).toMatchObject({ is_active: true, status: 'active' })
      const off = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { is_active: false })
      expect(off.json).toMatchObject({ is_active: false, status: 'paused', disabled_reason: null })
    })

    it('shows an endpoint the system disabled as disabled, and re-enabling clears the reason and the failure streak', async () => {
      const { call, clock } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const at = clock.now() - 1000
      await t.db.db.updateTable('endpoints').set({ is_active: 0, disabled_reason: 'The endpoint answered 410 Gone', disabled_at: at, failing_since: at - 5000 }).where('id', '=', created.json.id).execute()
      const shown = await call('u1', 'GET', `/v1/webhooks/${created.json.id}`)
      expect(shown.json).toMatchObject({ is_active: false, status: 'disabled', disabled_reason: 'The endpoint answered 410 Gone', disabled_at: new Date(at).toISOString() })

      const enabled = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { is_active: true })
      expect(enabled.json).toMatchObject({ is_active: true, status: 'active', disabled_reason: null, disabled_at: null })
      const row = await t.db.db.selectFrom('endpoints').selectAll().where('id', '=', created.json.id).executeTakeFirstOrThrow()
      expect(row.failing_since).toBeNull()
    })

    it('accepts an empty PATCH and changes nothing', async () => {
      const { call, clock } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      clock.advance(1000)
      const res = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, {})
      expect(res.status).toBe(200)
      expect(res.json.updated_at).toBe(created.json.updated_at)
    })

    it('deletes an endpoint with 204, after which it is gone', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const res = await call('u1', 'DELETE', `/v1/webhooks/${created.json.id}`)
      expect(res.status).toBe(204)
      expect((await call('u1', 'GET', `/v1/webhooks/${created.json.id}`)).status).toBe(404)
      expect((await call('u1', 'DELETE', `/v1/webhooks/${created.json.id}`)).json).toEqual({ error: { code: 'not_found', message: 'Webhook endpoint not found' } })
      expect(await t.db.db.selectFrom('endpoints').selectAll().execute()).toEqual([])
    })

    it('leaves the delivery log of a deleted endpoint for the delivery engine and retention to handle', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      await seedPair(t.db, { userId: 'u1', endpointId: created.json.id, status: 'pending' })
      expect((await call('u1', 'DELETE', `/v1/webhooks/${created.json.id}`)).status).toBe(204)
      const rows = await t.db.db.selectFrom('deliveries').select('status').execute()
      expect(rows).toEqual([{ status: 'pending' }])
    })

    it('reports 24 h delivery figures per endpoint in the list and on one endpoint', async () => {
      const { call, clock } = makeTestApp(t.db)
      const a = (await call('u1', 'POST', '/v1/webhooks', HOOK)).json.id as string
      const b = (await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url: 'https://example.org/b' })).json.id as string
      const c = (await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url: 'https://example.org/c' })).json.id as string
      const now = clock.now()
      // a: 3 succeeded and 1 failed today, 1 pending newest; plus an old failure outside the window.
      await seedPair(t.db, { userId: 'u1', endpointId: a, status: 'failed', at: now - 25 * 3600_000 })
      for (const status of ['succeeded', 'succeeded', 'failed', 'succeeded']) await seedPair(t.db, { userId: 'u1', endpointId: a, status, at: now - 3600_000 })
      await seedPair(t.db, { userId: 'u1', endpointId: a, status: 'pending', at: now - 60_000 })
      // b: only an old delivery, two days ago.
      await seedPair(t.db, { userId: 'u1', endpointId: b, status: 'succeeded', at: now - 48 * 3600_000 })

      const list = await call('u1', 'GET', '/v1/webhooks')
      const stats = Object.fromEntries(list.json.data.map((e: { id: string; stats: unknown }) => [e.id, e.stats]))
      expect(stats[a]).toEqual({ deliveries_24h: 5, success_rate_24h: 0.75, last_delivery_at: new Date(now - 60_000).toISOString(), last_delivery_status: 'pending' })
      expect(stats[b]).toEqual({ deliveries_24h: 0, success_rate_24h: null, last_delivery_at: new Date(now - 48 * 3600_000).toISOString(), last_delivery_status: 'succeeded' })
      expect(stats[c]).toEqual({ deliveries_24h: 0, success_rate_24h: null, last_delivery_at: null, last_delivery_status: null })
      expect((await call('u1', 'GET', `/v1/webhooks/${a}`)).json.stats).toEqual(stats[a])
    })

    it('documents every endpoint route in /openapi.json', async () => {
      const { call } = makeTestApp(t.db)
      const paths = (await call(null, 'GET', '/openapi.json')).json.paths
      expect(Object.keys(paths['/v1/webhooks'])).toEqual(expect.arrayContaining(['get', 'post']))
      expect(Object.keys(paths['/v1/webhooks/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']))
      expect(paths['/v1/webhooks/{id}/secret'].get.security).toEqual([{ bearerAuth: [] }])
      expect(paths['/v1/webhooks/{id}/rotate-secret'].post).toBeDefined()
    })
  })
}
