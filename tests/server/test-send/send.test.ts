import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { closedPort, harness } from '../delivery/helpers.js'

for (const dialect of dialects()) {
  describe(`${dialect}: POST /v1/webhooks/:id/test`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => {
      receiver.received.length = 0
      receiver.fallback = { status: 200, body: 'ok' }
    })

    it('sends a signed webhook.test event now and reports the answer', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 200, body: 'thanks!' })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const res = await h.call('u1', 'POST', `/v1/webhooks/${ep.id}/test`)
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ ok: true, status_code: 200, error_class: null, error: null, hint: null, response_excerpt: 'thanks!' })
      expect(res.json.event_id).toMatch(/^evt_/)
      expect(res.json.delivery_id).toMatch(/^dlv_/)
      const [got] = receiver.received
      const event = new Webhook(ep.secret).verify(got!.body, got!.headers) as any
      expect(event).toMatchObject({ id: res.json.event_id, type: 'webhook.test', user_id: 'u1', data: { endpoint_id: ep.id } })
      expect(res.json.headers_sent['webhook-signature']).toBe(got!.headers['webhook-signature'])
      expect(JSON.stringify(res.json)).not.toContain(ep.secret.slice(6))
      const delivery = await h.delivery(res.json.delivery_id)
      expect(delivery).toMatchObject({ status: 'succeeded', event_type: 'webhook.test', lease_owner: null, last_status_code: 200 })
      expect((await h.attempts(res.json.delivery_id)).map((a) => a.trigger)).toEqual(['test'])
      const log = await h.call('u1', 'GET', `/v1/deliveries/${res.json.delivery_id}`)
      expect(log.json.attempts_log).toEqual([expect.objectContaining({ attempt: 1, trigger: 'test', status_code: 200 })])
    })

    it('reports a 500 with a hint, does not retry it and does not count it against the endpoint', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 500, body: 'stack trace here' })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const res = await h.call('u1', 'POST', `/v1/webhooks/${ep.id}/test`)
      expect(res.json).toMatchObject({ ok: false, status_code: 500, error_class: 'http_error', error: 'HTTP 500', response_excerpt: 'stack trace here' })
      expect(res.json.hint).toMatch(/logs/)
      expect(await h.delivery(res.json.delivery_id)).toMatchObject({ status: 'failed', next_attempt_at: null })
      expect((await h.endpointRow(ep.id)).failing_since).toBeNull()
      expect((await h.run()).claimed).toBe(0)
    })

    it('hints at the secret when the endpoint answers 401', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 401 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const res = await h.call('u1', 'POST', `/v1/webhooks/${ep.id}/test`)
      expect(res.json.hint).toMatch(/check it verifies with this endpoint's secret/)
    })

    it('reports a timeout in plain words', async () => {
      const h = harness(t.db, { QSM_DELIVERY_TIMEOUT_MS: '1s' })
      receiver.queue({ hang: true })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      const res = await h.call('u1', 'POST', `/v1/webhooks/${ep.id}/test`)
      expect(res.json).toMatchObject({ ok: false, status_code: null, error_class: 'timeout', error: 'no response within 1 s' })
      expect(res.json.hint).toMatch(/shared hosts often allow only 80\/443/)
      expect(res.json.duration_ms).toBeGreaterThanOrEqual(950)
    })

    it('reports a refused connection when nothing listens on the port', async () => {
      const h = harness(t.db)
      const port = await closedPort()
      const ep = await h.endpoint('u1', `http://127.0.0.1:${port}/hook`)
      const res = await h.call('u1', 'POST', `/v1/webhooks/${ep.id}/test`)
      expect(res.json).toMatchObject({ ok: false, error_class: 'refused', error: `connection refused by 127.0.0.1:${port} — is the server running and the port open in its firewall?` })
      expect(res.json.hint).toMatch(/firewall port/)
    })

    it('works on a paused endpoint, so a fix can be checked before turning it on', async () => {
      const h = harness(t.db)
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      await h.call('u1', 'PATCH', `/v1/webhooks/${ep.id}`, { is_active: false })
      const res = await h.call('u1', 'POST', `/v1/webhooks/${ep.id}/test`)
      expect(res.json.ok).toBe(true)
      expect(receiver.received).toHaveLength(1)
    })

    it("answers 404 for another user's endpoint and 401 without a token", async () => {
      const h = harness(t.db)
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      expect((await h.call('u2', 'POST', `/v1/webhooks/${ep.id}/test`)).status).toBe(404)
      expect((await h.call(null, 'POST', `/v1/webhooks/${ep.id}/test`)).status).toBe(401)
      expect(receiver.received).toHaveLength(0)
    })
  })
}
