import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { harness } from './helpers.js'

const M = 60_000

for (const dialect of dialects()) {
  describe(`${dialect}: retries`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => {
      receiver.received.length = 0
      receiver.fallback = { status: 200, body: 'ok' }
    })

    it('retries a 503 after 1m, 5m, 30m and 2h, then marks the delivery failed after 5 attempts', async () => {
      const h = harness(t.db)
      receiver.fallback = { status: 503, body: 'down' }
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      const waits: number[] = []
      for (let attempt = 1; attempt <= 5; attempt++) {
        const before = h.clock.now()
        const run = await h.run()
        expect(run).toMatchObject({ claimed: 1, succeeded: 0 })
        const row = await h.delivery(deliveryId)
        expect(Number(row.attempts)).toBe(attempt)
        expect(row.last_status_code).toBe(503)
        expect(row.last_error).toBe('HTTP 503')
        expect(row.lease_owner).toBeNull()
        if (attempt < 5) {
          expect(row.status).toBe('pending')
          waits.push(Number(row.next_attempt_at) - before)
          // Not due a moment before its time…
          h.clock.set(Number(row.next_attempt_at) - 1)
          expect((await h.run()).claimed).toBe(0)
          h.clock.set(Number(row.next_attempt_at))
        } else {
          expect(row.status).toBe('failed')
          expect(row.next_attempt_at).toBeNull()
          expect(run.failed).toBe(1)
        }
      }
      expect(waits).toEqual([1 * M, 5 * M, 30 * M, 120 * M])
      expect(receiver.received).toHaveLength(5)
      const log = await h.attempts(deliveryId)
      expect(log.map((a) => [Number(a.attempt), a.status_code, a.error_class, a.trigger])).toEqual(
        [1, 2, 3, 4, 5].map((n) => [n, 503, 'http_error', 'scheduled']),
      )
      h.clock.advance(24 * 60 * M)
      expect((await h.run()).claimed).toBe(0)
    })

    it('logs the attempt a user asked for with Redeliver as manual, and a second press before it runs is fine', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 500 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      expect((await h.run()).retried).toBe(1)
      expect((await h.call('u1', 'POST', `/v1/deliveries/${deliveryId}/retry`)).status).toBe(202)
      const again = await h.call('u1', 'POST', `/v1/deliveries/${deliveryId}/retry`)
      expect(again.status).toBe(202)
      expect(again.json.delivery.next_attempt_at).not.toBeNull()
      expect((await h.run()).succeeded).toBe(1)
      const log = await h.attempts(deliveryId)
      expect(log.map((a) => [Number(a.attempt), a.status_code, a.trigger])).toEqual([[1, 500, 'scheduled'], [2, 200, 'manual']])
      expect((await h.delivery(deliveryId)).lease_owner).toBeNull()
    })

    it('stops retrying once an attempt gets a 2xx', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 500 }, { status: 204 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      expect((await h.run()).retried).toBe(1)
      h.clock.advance(M)
      expect((await h.run()).succeeded).toBe(1)
      const row = await h.delivery(deliveryId)
      expect(row).toMatchObject({ status: 'succeeded', next_attempt_at: null, last_status_code: 204, last_error: null, lease_owner: null })
      expect(Number(row.attempts)).toBe(2)
      h.clock.advance(24 * 60 * M)
      expect((await h.run()).claimed).toBe(0)
      expect(receiver.received).toHaveLength(2)
    })

    it('keeps the idempotency key across attempts while the timestamp and signature change', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 503 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { eventId } = await h.queue('u1', ep.id)
      await h.run()
      h.clock.advance(M)
      await h.run()
      const [first, second] = receiver.received
      expect(first!.headers['webhook-id']).toBe(eventId)
      expect(second!.headers['webhook-id']).toBe(eventId)
      expect(second!.headers['x-qsm-event-id']).toBe(eventId)
      expect(Number(second!.headers['webhook-timestamp']) - Number(first!.headers['webhook-timestamp'])).toBe(60)
      expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature'])
      expect(second!.body).toBe(first!.body)
      expect(second!.headers['x-qsm-timestamp']).toBe(second!.headers['webhook-timestamp'])
      expect(() => new Webhook(ep.secret).verify(first!.body, first!.headers)).not.toThrow()
    })

    it('sends the stored payload bytes exactly as stored', async () => {
      const h = harness(t.db)
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const payload = '{"id":"evt_x",  "type":"email.received","data":{"n":1.50,"s":"\\u00e9 é ✓"}}'
      await h.queue('u1', ep.id, { payload })
      await h.run()
      expect(receiver.received[0]!.body).toBe(payload)
      expect(receiver.received[0]!.headers['x-qsm-event-type']).toBe('email.received')
    })

    it('waits as long as Retry-After asks, but no longer than the longest step', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 429, headers: { 'retry-after': '600' } }, { status: 503, headers: { 'retry-after': '86400' } })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      const t0 = h.clock.now()
      await h.run()
      expect(Number((await h.delivery(deliveryId)).next_attempt_at) - t0).toBe(10 * M)
      h.clock.advance(10 * M)
      await h.run()
      expect(Number((await h.delivery(deliveryId)).next_attempt_at) - h.clock.now()).toBe(120 * M)
    })

    it('does not follow a redirect: the 302 counts as a failure and is retried', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 302, headers: { location: `${receiver.url}/elsewhere?token=receiver-secret` } })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      // run() resolves after each send has its answer, so a followed redirect would already have
      // reached the receiver here: no wait is needed to know that nothing else was requested.
      expect((await h.run()).retried).toBe(1)
      expect(receiver.received.map((r) => r.path)).toEqual(['/hook'])
      const row = await h.delivery(deliveryId)
      expect(row).toMatchObject({ status: 'pending', last_status_code: 302 })
      expect(row.last_error).toMatch(/^HTTP 302: redirects are not followed \(it points to http:\/\/127\.0\.0\.1:\d+\/elsewhere\)$/)
    })

    it('times out a receiver that never answers and retries it later', async () => {
      const h = harness(t.db, { QSM_DELIVERY_TIMEOUT_MS: '1s' })
      receiver.queue({ hang: true })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      const started = Date.now()
      expect((await h.run()).retried).toBe(1)
      expect(Date.now() - started).toBeLessThan(3000)
      const row = await h.delivery(deliveryId)
      expect(row).toMatchObject({ status: 'pending', last_status_code: null, last_error: 'no response within 1 s' })
      expect((await h.attempts(deliveryId))[0]).toMatchObject({ error_class: 'timeout' })
      expect(Number(row.last_duration_ms)).toBeGreaterThanOrEqual(950)
    })

    it('records a connection reset as a retryable failure', async () => {
      const h = harness(t.db)
      receiver.queue({ reset: true })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const { deliveryId } = await h.queue('u1', ep.id)
      await h.run()
      expect((await h.attempts(deliveryId))[0]).toMatchObject({ error_class: 'reset' })
      expect((await h.delivery(deliveryId)).status).toBe('pending')
    })
  })
}
