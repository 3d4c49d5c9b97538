import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { makeTestApp } from '../../helpers/app.js'
import { sign } from '../../../server/signing/sign.js'
import { EXAMPLES } from '../../../server/events/examples.js'
import { newId } from '../../../server/db/ids.js'
import { startScheduler } from '../../../server/delivery/scheduler.js'
import { claimDue } from '../../../server/delivery/claim.js'
import { seedPair } from '../../helpers/seed.js'
import { waitUntil } from '../../helpers/wait.js'

for (const dialect of dialects()) {
  describe(`${dialect}: the in-process dispatcher`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => { receiver.received.length = 0 })

    it('sends the first attempt right after an ingest, without waiting for a tick', async () => {
      const app = makeTestApp(t.db)
      // A slow poll, so only the wake-up can explain a quick delivery.
      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 60_000 })
      try {
        const ep = await app.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['email.*'] })
        const event = { ...structuredClone(EXAMPLES['email.failed']), id: newId('evt'), user_id: 'u1' }
        const text = JSON.stringify(event)
        const ts = Math.floor(app.clock.now() / 1000)
        const started = Date.now()
        const res = await app.app.request('/v1/events', {
          method: 'POST', body: text,
          headers: { 'content-type': 'application/json', 'webhook-id': event.id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(Buffer.from(app.deps.config.bridgeSecret, 'utf8'), event.id, ts, text) },
        })
        expect(res.status).toBe(202)
        const [got] = await receiver.waitFor(1, 5000)
        console.log(`ingest → delivered in ${Date.now() - started} ms (${dialect})`)
        // Sent exactly as stored at ingest (the ingest stores its own canonical serialisation).
        const stored = await t.db.db.selectFrom('events').select('payload').where('id', '=', event.id).executeTakeFirstOrThrow()
        expect(got!.body).toBe(stored.payload)
        expect(new Webhook(ep.json.secret).verify(got!.body, got!.headers)).toEqual(event)
      } finally {
        await app.deps.dispatcher.stop()
      }
    })

    it("finishes the send in flight when stopped, gives back the claims it had not started, and leaves others' leases alone", async () => {
      const app = makeTestApp(t.db, { env: { QSM_CONCURRENCY: '1', QSM_DELIVERY_TIMEOUT_MS: '1s' } })
      receiver.queue({ hang: true })
      const ep = await app.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['*'] })
      const now = app.clock.now()
      const foreign = await seedPair(t.db, { userId: 'u1', endpointId: ep.json.id, at: now - 3 })
      expect(await claimDue(t.db, { owner: 'someone-else', nowMs: now, limit: 1, leaseMs: 60_000 })).toHaveLength(1)
      const first = await seedPair(t.db, { userId: 'u1', endpointId: ep.json.id, at: now - 2 })
      const second = await seedPair(t.db, { userId: 'u1', endpointId: ep.json.id, at: now - 1 })
      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 60_000 })
      app.deps.dispatcher.wake()
      await receiver.waitFor(1, 3000)
      await app.deps.dispatcher.stop()
      const row = (id: string) => t.db.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      expect(await row(first.deliveryId)).toMatchObject({ status: 'pending', lease_owner: null, last_error: 'no response within 1 s' })
      expect(Number((await row(first.deliveryId)).attempts)).toBe(1)
      expect(await row(second.deliveryId)).toMatchObject({ status: 'pending', lease_owner: null, last_error: null })
      expect(Number((await row(second.deliveryId)).attempts)).toBe(0)
      // Due now: given back, or (fair claims take one row per endpoint at a time) never leased.
      expect(Number((await row(second.deliveryId)).next_attempt_at)).toBeLessThanOrEqual(now)
      expect((await row(foreign.deliveryId)).lease_owner).toBe('someone-else')
      expect(receiver.received).toHaveLength(1)
    })

    it('picks up a delivery that becomes due on its slow poll', async () => {
      const app = makeTestApp(t.db)
      // The seeded endpoint has no real secret; use the API one.
      const ep = await app.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['*'] })
      await seedPair(t.db, { userId: 'u1', endpointId: ep.json.id, at: app.clock.now() + 60_000 })
      let passes = 0
      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 50, onPass: () => void passes++ })
      try {
        // Two whole passes over a delivery that is not due yet: nothing may be sent.
        await waitUntil(() => passes >= 2, 5_000, 'two scheduler passes', 10)
        expect(receiver.received).toHaveLength(0)
        app.clock.advance(60_000)
        await receiver.waitFor(1, 3000)
      } finally {
        await app.deps.dispatcher.stop()
      }
    })
  })
}
