// A claimed delivery must not outlive a change to its endpoint: after a delete, a URL change, a
// pause or a rotation with no grace, nothing reaches the old URL or is signed with the old key
// later than 1 s after the change (in this process at once; a write made by another process is
// seen within 1 s, after the request then in flight).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp, type TestApp } from '../helpers/app.js'
import { seedPair } from '../helpers/seed.js'
import { startScheduler } from '../../server/delivery/scheduler.js'
import { sleep, tenantReceiver } from './support.js'

const BOUND_MS = 1_000

for (const dialect of dialects()) {
  describe(`${dialect}: deliveries claimed before an endpoint change`, () => {
    const t = useTestDb(dialect)
    let receiver: Awaited<ReturnType<typeof tenantReceiver>>
    beforeEach(async () => { receiver = await tenantReceiver() })
    afterEach(async () => { await receiver.close() })

    /** 12 deliveries due to /slow-200-old (one at a time: the per-endpoint cap), the change made once the first arrives. */
    async function scenario(change: (app: TestApp, id: string) => Promise<unknown>) {
      const app = makeTestApp(t.db)
      const created = await app.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/slow-200-old`, event_types: ['*'] })
      const id = created.json.id as string
      for (let i = 0; i < 12; i++) await seedPair(t.db, { userId: 'u1', endpointId: id, at: app.clock.now() - 100 + i })
      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 1_000 })
      app.deps.dispatcher.wake()
      try {
        await receiver.waitFor((a) => a.path === '/slow-200-old', 3_000)
        await change(app, id)
        const changedAt = Date.now()
        // Until every delivery is finished (or 10 s): each one has then been sent or dropped.
        for (let i = 0; i < 100; i++) {
          await sleep(100)
          const pending = await t.db.db.selectFrom('deliveries').select('id').where('status', '=', 'pending').execute()
          if (pending.length === 0 && Date.now() - changedAt > 1_500) break
        }
        const late = receiver.arrivals.filter((a) => a.path === '/slow-200-old' && a.at > changedAt)
        return { app, id, changedAt, created, late, after: receiver.arrivals.filter((a) => a.at > changedAt) }
      } finally {
        await app.deps.dispatcher.stop()
      }
    }

    it('sends nothing more to a deleted endpoint', async () => {
      const { late, app } = await scenario((app, id) => app.call('u1', 'DELETE', `/v1/webhooks/${id}`))
      expect(late).toEqual([])
      const failed = await t.db.db.selectFrom('deliveries').select('last_error').where('status', '=', 'failed').execute()
      expect(failed.length).toBeGreaterThanOrEqual(10)
      expect(new Set(failed.map((f) => f.last_error))).toEqual(new Set(['Endpoint deleted']))
      expect(app).toBeTruthy()
    }, 25_000)

    it('sends the rest to the new URL after a URL change, none to the old', async () => {
      const { late, after } = await scenario((app, id) => app.call('u1', 'PATCH', `/v1/webhooks/${id}`, { url: `${receiver.url}/slow-200-new` }))
      expect(late).toEqual([])
      const old = receiver.arrivals.filter((a) => a.path === '/slow-200-old').length
      expect(after.filter((a) => a.path === '/slow-200-new').length).toBe(12 - old)
    }, 25_000)

    it('sends nothing more to a paused endpoint', async () => {
      const { late } = await scenario((app, id) => app.call('u1', 'PATCH', `/v1/webhooks/${id}`, { is_active: false }))
      expect(late).toEqual([])
    }, 25_000)

    it('signs nothing more with the old key after a rotation with no grace', async () => {
      let rotated: { secret: string; key_id: string } | undefined
      const { after, created, changedAt } = await scenario(async (app, id) => {
        const res = await app.call('u1', 'POST', `/v1/webhooks/${id}/rotate-secret`, { grace_seconds: 0 })
        expect(res.status).toBe(200)
        rotated = res.json
      })
      const signed = after.filter((a) => a.at > changedAt + BOUND_MS)
      expect(signed.length).toBeGreaterThanOrEqual(3)
      for (const a of signed) {
        expect(a.headers['x-qsm-key-id']).not.toContain(created.json.secret_key_id)
        expect(() => new Webhook(created.json.secret).verify(a.body, a.headers)).toThrow()
        expect(() => new Webhook(rotated!.secret).verify(a.body, a.headers)).not.toThrow()
      }
    }, 25_000)

    it('sends the rest with the new custom headers after they are changed, none with the old', async () => {
      const { after, changedAt } = await scenario(async (app, id) => {
        const res = await app.call('u1', 'PATCH', `/v1/webhooks/${id}`, { headers: { Authorization: 'Bearer new' } })
        expect(res.status).toBe(200)
      })
      expect(after.length).toBeGreaterThanOrEqual(3)
      // The one request already on its way when the change landed may still carry none.
      const later = after.filter((a) => a.at > changedAt + 250)
      expect(later.length).toBeGreaterThanOrEqual(3)
      for (const a of later) expect(a.headers.authorization).toBe('Bearer new')
    }, 25_000)

    it('stops using the old URL within 1 s (plus the request in flight) when another process changed it', async () => {
      // A write straight to the database, as another process would make it: no in-process signal.
      const { after, changedAt } = await scenario((_app, id) =>
        t.db.db.updateTable('endpoints').set({ url: `${receiver.url}/slow-200-new` }).where('id', '=', id).execute())
      const old = after.filter((a) => a.path === '/slow-200-old')
      console.log(`old URL got ${old.length} more, the last ${old.length ? old[old.length - 1]!.at - changedAt : 0} ms after the change (${dialect})`)
      expect(old.filter((a) => a.at > changedAt + BOUND_MS + 200)).toEqual([])
      expect(after.filter((a) => a.path === '/slow-200-new').length).toBeGreaterThanOrEqual(3)
    }, 25_000)
  })
}
