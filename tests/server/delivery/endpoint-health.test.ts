import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { countingReceiver, harness, rawEndpoint } from './helpers.js'

const M = 60_000
const H = 60 * M

for (const dialect of dialects()) {
  describe(`${dialect}: endpoint health`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => {
      receiver.received.length = 0
      receiver.fallback = { status: 200, body: 'ok' }
    })

    it('disables the endpoint at once when it answers 410 Gone, and sends it nothing more', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 410 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const first = await h.queue('u1', ep.id)
      expect(await h.run()).toMatchObject({ claimed: 1, failed: 1 })
      const second = await h.queue('u1', ep.id)
      expect(await h.run()).toMatchObject({ claimed: 1, failed: 1 })
      expect(receiver.received).toHaveLength(1)
      const row = await h.endpointRow(ep.id)
      expect(Number(row.is_active)).toBe(0)
      expect(row.disabled_reason).toBe('The endpoint answered 410 Gone')
      expect(Number(row.disabled_at)).toBe(h.clock.now())
      const api = await h.call('u1', 'GET', `/v1/webhooks/${ep.id}`)
      expect(api.json).toMatchObject({ status: 'disabled', disabled_reason: 'The endpoint answered 410 Gone' })
      const rows = await Promise.all([h.delivery(first.deliveryId), h.delivery(second.deliveryId)])
      const byCode = rows.sort((a, b) => Number(b.attempts) - Number(a.attempts))
      expect(byCode[0]).toMatchObject({ status: 'failed', last_status_code: 410, last_error: 'HTTP 410', next_attempt_at: null })
      expect(byCode[1]).toMatchObject({ status: 'failed', last_error: 'Endpoint is disabled: The endpoint answered 410 Gone' })
      expect(Number(byCode[1].attempts)).toBe(0)
    })

    it('disables an endpoint that has failed continuously for QSM_DISABLE_AFTER, with the reason and start', async () => {
      const h = harness(t.db, { QSM_DISABLE_AFTER: '3d', QSM_RETRY_SCHEDULE: '12h', QSM_MAX_ATTEMPTS: '20' })
      receiver.fallback = { status: 500 }
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const start = h.clock.now()
      const { deliveryId } = await h.queue('u1', ep.id)
      await h.run()
      expect(Number((await h.endpointRow(ep.id)).failing_since)).toBe(start)
      // Failures every 12 hours for just under three days leave it on…
      for (let i = 1; i < 6; i++) {
        h.clock.set(start + i * 12 * H)
        expect((await h.run()).retried).toBe(1)
      }
      expect(Number((await h.endpointRow(ep.id)).is_active)).toBe(1)
      // …the first failure at three days turns it off.
      h.clock.set(start + 72 * H)
      await h.run()
      const row = await h.endpointRow(ep.id)
      expect(Number(row.is_active)).toBe(0)
      expect(row.disabled_reason).toBe(`Failing continuously for 3 days (since ${new Date(start).toISOString().slice(0, 16).replace('T', ' ')} UTC)`)
      expect(Number((await h.delivery(deliveryId)).attempts)).toBe(7)
    })

    it('does not disable an endpoint with fewer than five failed attempts, however long ago the first was', async () => {
      const h = harness(t.db, { QSM_DISABLE_AFTER: '3d' })
      receiver.fallback = { status: 500 }
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      await h.queue('u1', ep.id)
      await h.run()
      // A week later (a quiet endpoint, or a clock that jumped) the next event fails too.
      h.clock.advance(7 * 24 * H)
      await h.queue('u1', ep.id)
      await h.run()
      expect(Number((await h.endpointRow(ep.id)).is_active)).toBe(1)
    })

    it('ends the failure streak on any success', async () => {
      const h = harness(t.db, { QSM_DISABLE_AFTER: '1h' })
      receiver.queue({ status: 500 }, { status: 200 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      await h.queue('u1', ep.id)
      await h.run()
      expect((await h.endpointRow(ep.id)).failing_since).not.toBeNull()
      h.clock.advance(M)
      await h.run()
      expect((await h.endpointRow(ep.id)).failing_since).toBeNull()
    })

    it('comes back clean when the user turns a disabled endpoint on again', async () => {
      const h = harness(t.db, { QSM_DISABLE_AFTER: '1h', QSM_RETRY_SCHEDULE: '15m', QSM_MAX_ATTEMPTS: '10' })
      receiver.queue({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      await h.queue('u1', ep.id)
      for (let i = 0; i < 5; i++) {
        if (i > 0) h.clock.advance(15 * M)
        await h.run()
      }
      expect(Number((await h.endpointRow(ep.id)).is_active)).toBe(0)
      const patched = await h.call('u1', 'PATCH', `/v1/webhooks/${ep.id}`, { is_active: true })
      expect(patched.json).toMatchObject({ status: 'active', disabled_reason: null, disabled_at: null })
      expect((await h.endpointRow(ep.id)).failing_since).toBeNull()
      const { deliveryId } = await h.queue('u1', ep.id)
      expect((await h.run()).succeeded).toBe(1)
      expect((await h.delivery(deliveryId)).status).toBe('succeeded')
      expect((await h.endpointRow(ep.id)).failing_since).toBeNull()
    })

    it('fails deliveries without a request when the endpoint is deleted, paused or the payload has expired', async () => {
      const h = harness(t.db)
      const gone = await h.endpoint('u1', `${receiver.url}/gone`)
      const paused = await h.endpoint('u1', `${receiver.url}/paused`)
      const live = await h.endpoint('u1', `${receiver.url}/live`)
      const a = await h.queue('u1', gone.id)
      const b = await h.queue('u1', paused.id)
      const c = await h.queue('u1', live.id, { payload: null })
      expect((await h.call('u1', 'DELETE', `/v1/webhooks/${gone.id}`)).status).toBe(204)
      await h.call('u1', 'PATCH', `/v1/webhooks/${paused.id}`, { is_active: false })
      expect(await h.run()).toMatchObject({ claimed: 3, failed: 3 })
      expect(receiver.received).toHaveLength(0)
      expect((await h.delivery(a.deliveryId)).last_error).toBe('Endpoint deleted')
      expect((await h.delivery(b.deliveryId)).last_error).toBe('Endpoint is paused')
      expect((await h.delivery(c.deliveryId)).last_error).toBe('Payload expired')
      for (const d of [a, b, c]) {
        expect(await h.attempts(d.deliveryId)).toEqual([])
        expect((await h.delivery(d.deliveryId)).status).toBe('failed')
      }
    })

    it('blocks a private target when private targets are not allowed, without any request reaching it', async () => {
      const h = harness(t.db, { QSM_ALLOW_PRIVATE_TARGETS: 'false' })
      const ep = await rawEndpoint(t.db, 'u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep)
      expect((await h.run()).retried).toBe(1)
      expect(receiver.received).toHaveLength(0)
      const [attempt] = await h.attempts(deliveryId)
      expect(attempt).toMatchObject({ error_class: 'blocked', status_code: null })
      expect(attempt.error).toBe('blocked: 127.0.0.1 is a loopback address; webhooks can only go to public addresses')
    })

    it('sends at most four at once while events wait to be stored, and up to QSM_CONCURRENCY once none wait', async () => {
      const slow = await countingReceiver(100)
      try {
        const h = harness(t.db, { QSM_CONCURRENCY: '16', QSM_USER_CONCURRENCY: '16', QSM_ENDPOINT_CONCURRENCY: '16' })
        // Stands in for the ingest batcher, which deps.ts wires in (tested in tests/server/deps.test.ts).
        let frontDoor = 40
        h.deps.limiter.yieldTo(() => frontDoor)
        const ep = await h.endpoint('u1', `${slow.url}/busy`)
        for (let i = 0; i < 16; i++) await h.queue('u1', ep.id)
        expect((await h.run()).succeeded).toBe(16)
        expect(slow.stats.maxInFlight).toBe(4)

        frontDoor = 0
        slow.stats.maxInFlight = 0
        for (let i = 0; i < 16; i++) await h.queue('u1', ep.id)
        expect((await h.run()).succeeded).toBe(16)
        expect(slow.stats.maxInFlight).toBeGreaterThan(8)
      } finally {
        await slow.close()
      }
    })

    it('keeps at most QSM_USER_CONCURRENCY sends of one user and QSM_CONCURRENCY in total in flight', async () => {
      const slow = await countingReceiver(150)
      try {
        const h = harness(t.db, { QSM_CONCURRENCY: '3', QSM_USER_CONCURRENCY: '2' })
        const a1 = await h.endpoint('u1', `${slow.url}/u1-a`)
        const a2 = await h.endpoint('u1', `${slow.url}/u1-b`)
        const b = await h.endpoint('u2', `${slow.url}/u2`)
        for (let i = 0; i < 4; i++) {
          await h.queue('u1', a1.id)
          await h.queue('u1', a2.id)
          await h.queue('u2', b.id)
        }
        expect((await h.run()).succeeded).toBe(12)
        expect(slow.stats.count).toBe(12)
        expect(slow.stats.maxInFlight).toBe(3)
        expect(slow.stats.maxPerGroup.get('/u1')).toBe(2)
        expect(slow.stats.maxPerGroup.get('/u2')).toBeLessThanOrEqual(2)
      } finally {
        await slow.close()
      }
    })
  })
}
