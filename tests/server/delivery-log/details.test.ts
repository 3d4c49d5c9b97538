import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { runTick } from '../../../server/delivery/tick.js'
import { harness } from '../delivery/helpers.js'

const HOUR = 3_600_000

for (const dialect of dialects()) {
  describe(`${dialect}: one delivery in detail, and the log's filters`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => {
      receiver.received.length = 0
      receiver.fallback = { status: 200, body: 'ok' }
    })

    it('shows the payload as sent, the headers with the signature, and each attempt with its trigger and the start of the answer', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 500, body: 'boom: ' + 'x'.repeat(3000) })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const payload = '{"id":"evt_x", "type":"email.received",  "spacing":"kept as sent"}'
      const { deliveryId, eventId } = await h.queue('u1', ep.id, { payload })
      await h.run()
      expect((await h.call('u1', 'POST', `/v1/deliveries/${deliveryId}/retry`)).status).toBe(202)
      await h.run()

      const res = await h.call('u1', 'GET', `/v1/deliveries/${deliveryId}`)
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ id: deliveryId, event_id: eventId, endpoint_id: ep.id, status: 'succeeded', payload, payload_note: null })
      expect(receiver.received[0]!.body).toBe(res.json.payload)
      const [first, second] = res.json.attempts_log
      expect([first.trigger, first.status_code, first.error]).toEqual(['automatic', 500, 'HTTP 500'])
      expect(first.response_excerpt).toBe(('boom: ' + 'x'.repeat(3000)).slice(0, 1024))
      expect([second.trigger, second.status_code, second.response_excerpt]).toEqual(['manual', 200, 'ok'])
      // The headers as they went out: the signature the receiver got, never the secret.
      expect(first.request_headers['webhook-signature']).toBe(receiver.received[0]!.headers['webhook-signature'])
      expect(first.request_headers['x-qsm-event-id']).toBe(eventId)
      expect(res.json.request_headers).toEqual(second.request_headers)
      expect(JSON.stringify(res.json)).not.toContain(ep.secret.slice(6))
    })

    it('says the payload and the answers were removed after the payload retention', async () => {
      const h = harness(t.db, { QSM_PAYLOAD_RETENTION_HOURS: '72' })
      receiver.queue({ status: 410, body: 'gone for good' })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      await h.run()
      h.clock.advance(73 * HOUR)
      await runTick(h.deps)
      const res = await h.call('u1', 'GET', `/v1/deliveries/${deliveryId}`)
      expect(res.json.payload).toBeNull()
      expect(res.json.payload_note).toMatch(/removed 72 h after the event arrived/)
      expect(res.json.attempts_log[0]).toMatchObject({ status_code: 410, response_excerpt: null })
    })

    it('finds the deliveries of one event id, and leaves test sends out unless asked', async () => {
      const h = harness(t.db)
      const now = h.clock.now()
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const wanted = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - HOUR })
      await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - HOUR })
      const test = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', type: 'webhook.test', at: now - 1000 })
      const ids = async (q: string) => (await h.call('u1', 'GET', `/v1/deliveries?${q}`)).json.data.map((d: any) => d.id)
      expect(await ids(`event_id=${wanted.eventId}`)).toEqual([wanted.deliveryId])
      expect(await ids('status=failed')).not.toContain(test.deliveryId)
      expect(await ids('status=failed&include_tests=true')).toContain(test.deliveryId)
      expect(await ids('event_type=webhook.test')).toEqual([test.deliveryId])
      expect(await ids(`event_id=${test.eventId}`)).toEqual([test.deliveryId])
    })

    it('refuses an unknown query parameter with 422 naming it, instead of answering everything', async () => {
      const h = harness(t.db)
      const res = await h.call('u1', 'GET', '/v1/deliveries?event=evt_1&status=failed')
      expect(res.status).toBe(422)
      expect(res.json.error.details).toEqual([{ path: 'event', message: expect.stringContaining('is not a filter of this list') }])
      expect(res.json.error.message).toMatch(/^event: is not a filter/)
    })

    it('pages through a filtered list without leaving the filter', async () => {
      const h = harness(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const failed: string[] = []
      for (let i = 0; i < 5; i++) {
        failed.push((await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: h.clock.now() - 10_000 + i * 2 })).deliveryId)
        await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'succeeded', at: h.clock.now() - 10_000 + i * 2 + 1 })
      }
      const first = await h.call('u1', 'GET', '/v1/deliveries?status=failed&limit=3')
      const second = await h.call('u1', 'GET', `/v1/deliveries?status=failed&limit=3&cursor=${first.json.next_cursor}`)
      expect([...first.json.data, ...second.json.data].map((d: any) => d.id)).toEqual([...failed].reverse())
      expect(second.json.next_cursor).toBeNull()
    })
  })
}
