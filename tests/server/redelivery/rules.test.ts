import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { harness } from '../delivery/helpers.js'

const M = 60_000
const HOUR = 60 * M

for (const dialect of dialects()) {
  describe(`${dialect}: manual redelivery and replay`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => {
      receiver.received.length = 0
      receiver.fallback = { status: 503, body: 'down' }
    })

    it('a failed redelivery of a pending delivery keeps its automatic retry time and budget', async () => {
      const h = harness(t.db)
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      await h.run()
      h.clock.advance(M)
      await h.run()
      const before = await h.delivery(deliveryId)
      expect([before.status, Number(before.attempts), Number(before.next_attempt_at) - h.clock.now()]).toEqual(['pending', 2, 5 * M])

      expect((await h.call('u1', 'POST', `/v1/deliveries/${deliveryId}/retry`)).status).toBe(202)
      await h.run()
      const after = await h.delivery(deliveryId)
      // Three attempts in the log, but the automatic schedule is where it was: the third
      // automatic attempt is still due in 5 minutes, not in 30.
      expect([after.status, Number(after.attempts), Number(after.next_attempt_at)]).toEqual(['pending', 3, Number(before.next_attempt_at)])
      h.clock.set(Number(after.next_attempt_at))
      await h.run()
      const third = await h.delivery(deliveryId)
      expect(Number(third.next_attempt_at) - h.clock.now()).toBe(30 * M)
      expect((await h.attempts(deliveryId)).map((a) => a.trigger)).toEqual(['scheduled', 'scheduled', 'manual', 'scheduled'])
    })

    it('a failed delivery sent again by hand gets exactly one attempt and stays failed', async () => {
      const h = harness(t.db, { QSM_MAX_ATTEMPTS: '1' })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      await h.run()
      expect((await h.delivery(deliveryId)).status).toBe('failed')
      await h.call('u1', 'POST', `/v1/deliveries/${deliveryId}/retry`)
      await h.run()
      const row = await h.delivery(deliveryId)
      expect([row.status, row.next_attempt_at, Number(row.attempts)]).toEqual(['failed', null, 2])
    })

    it('a redelivered failed test send stays failed after one attempt: tests are never retried', async () => {
      const h = harness(t.db)
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const test = await h.call('u1', 'POST', `/v1/webhooks/${ep.id}/test`)
      expect(test.json.ok).toBe(false)
      expect((await h.call('u1', 'POST', `/v1/deliveries/${test.json.delivery_id}/retry`)).status).toBe(202)
      await h.run()
      const row = await h.delivery(test.json.delivery_id)
      expect([row.status, row.next_attempt_at, Number(row.attempts)]).toEqual(['failed', null, 2])
      h.clock.advance(HOUR)
      expect((await h.run()).claimed).toBe(0)
      expect(receiver.received).toHaveLength(2)
    })

    it('replays failed deliveries across all endpoints in a time range and counts what it skipped and why', async () => {
      const h = harness(t.db)
      const now = h.clock.now()
      const a = await h.endpoint('u1', `${receiver.url}/a`)
      const b = await h.endpoint('u1', `${receiver.url}/b`)
      const paused = await seedEndpoint(t.db, { userId: 'u1', isActive: false })
      const disabled = await seedEndpoint(t.db, { userId: 'u1', isActive: false })
      await t.db.db.updateTable('endpoints').set({ disabled_reason: 'The endpoint answered 410 Gone' }).where('id', '=', disabled).execute()
      const onA = await seedPair(t.db, { userId: 'u1', endpointId: a.id, status: 'failed', at: now - HOUR })
      const onB = await seedPair(t.db, { userId: 'u1', endpointId: b.id, status: 'failed', at: now - HOUR })
      await seedPair(t.db, { userId: 'u1', endpointId: a.id, status: 'failed', at: now - HOUR, payload: null })
      await seedPair(t.db, { userId: 'u1', endpointId: paused, status: 'failed', at: now - HOUR })
      await seedPair(t.db, { userId: 'u1', endpointId: disabled, status: 'failed', at: now - HOUR })
      await seedPair(t.db, { userId: 'u1', endpointId: a.id, status: 'failed', type: 'webhook.test', at: now - HOUR })
      const tooOld = await seedPair(t.db, { userId: 'u1', endpointId: a.id, status: 'failed', at: now - 5 * HOUR })
      const otherUser = await seedPair(t.db, { userId: 'u2', endpointId: await seedEndpoint(t.db, { userId: 'u2' }), status: 'failed', at: now - HOUR })

      const res = await h.call('u1', 'POST', '/v1/deliveries/replay', { since: new Date(now - 2 * HOUR).toISOString() })
      expect(res.status).toBe(202)
      expect(res.json).toEqual({
        replayed: 2, skipped_expired: 1,
        skipped: { endpoint_disabled: 1, endpoint_paused: 1, endpoint_deleted: 0, payload_expired: 1, test_sends: 1 },
      })
      receiver.fallback = { status: 200, body: 'ok' }
      await h.run()
      for (const id of [onA.deliveryId, onB.deliveryId]) {
        expect((await h.delivery(id)).status).toBe('succeeded')
        expect((await h.attempts(id)).map((x) => x.trigger)).toEqual(['replay'])
      }
      expect((await h.delivery(tooOld.deliveryId)).status).toBe('failed')
      expect((await h.delivery(otherUser.deliveryId)).status).toBe('failed')
    })

    it('a replay on a disabled endpoint replays nothing and says why, instead of answering 1 and failing', async () => {
      const h = harness(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1', isActive: false })
      await t.db.db.updateTable('endpoints').set({ disabled_reason: 'failing for 3 days' }).where('id', '=', ep).execute()
      const { deliveryId } = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: h.clock.now() - HOUR })
      const res = await h.call('u1', 'POST', '/v1/deliveries/replay', { endpoint_id: ep, since: new Date(h.clock.now() - 2 * HOUR).toISOString() })
      expect(res.json).toMatchObject({ replayed: 0, skipped: { endpoint_disabled: 1 } })
      expect((await h.delivery(deliveryId)).status).toBe('failed')
    })
  })
}
