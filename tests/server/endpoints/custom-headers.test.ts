import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { harness } from '../delivery/helpers.js'

const TOKEN = 'Bearer receiver-own-token-8f3a'

for (const dialect of dialects()) {
  describe(`${dialect}: custom headers per endpoint`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => { receiver.received.length = 0 })

    it('sends them on every delivery attempt and on a test, next to the signature', async () => {
      const h = harness(t.db)
      const created = await h.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['*'], headers: { Authorization: TOKEN, 'X-Tenant': 'acme' } })
      expect(created.status).toBe(201)
      const { deliveryId } = await h.queue('u1', created.json.id)
      receiver.queue({ status: 500 })
      await h.run()
      h.clock.advance(60_000)
      await h.run()
      expect((await h.call('u1', 'POST', `/v1/webhooks/${created.json.id}/test`)).json.ok).toBe(true)
      expect(receiver.received).toHaveLength(3)
      for (const r of receiver.received) {
        expect([r.headers.authorization, r.headers['x-tenant']]).toEqual([TOKEN, 'acme'])
        expect(r.headers['webhook-signature']).toMatch(/^v1,/)
      }
      // The delivery log shows that they were sent, never their values.
      const detail = await h.call('u1', 'GET', `/v1/deliveries/${deliveryId}`)
      expect(detail.json.attempts_log[0].request_headers.Authorization).toBe('••••••')
      expect(JSON.stringify(detail.json)).not.toContain('receiver-own-token')
    })

    it('stores the values encrypted and shows them masked', async () => {
      const h = harness(t.db)
      const created = await h.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['*'], headers: { Authorization: TOKEN } })
      expect(created.json.headers).toEqual({ Authorization: '••••••' })
      const raw = await h.endpointRow(created.json.id)
      expect(raw.custom_headers).toContain('Authorization')
      expect(raw.custom_headers).not.toContain('receiver-own-token')
      expect(JSON.parse(raw.custom_headers)[0].value_enc).toMatch(/^v1:/)
      const got = await h.call('u1', 'GET', `/v1/webhooks/${created.json.id}`)
      expect(got.json.headers).toEqual({ Authorization: '••••••' })
      expect(JSON.stringify((await h.call('u1', 'GET', '/v1/webhooks')).json)).not.toContain('receiver-own-token')
    })

    it('replaces the whole set on PATCH, and {} removes them', async () => {
      const h = harness(t.db)
      const created = await h.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['*'], headers: { 'X-A': '1' } })
      const patched = await h.call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { headers: { 'X-B': '2' } })
      expect(patched.json.headers).toEqual({ 'X-B': '••••••' })
      await h.call('u1', 'POST', `/v1/webhooks/${created.json.id}/test`)
      expect(receiver.received[0]!.headers['x-b']).toBe('2')
      expect(receiver.received[0]!.headers['x-a']).toBeUndefined()
      expect((await h.call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { headers: {} })).json.headers).toEqual({})
    })

    it('refuses reserved and malformed names, too many headers, too many bytes and line breaks, naming each', async () => {
      const h = harness(t.db)
      const post = (headers: unknown) => h.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['*'], headers })
      for (const name of ['Host', 'Content-Type', 'webhook-signature', 'X-QSM-Event-Id', 'Connection', 'Keep-Alive', 'Transfer-Encoding', 'TE', 'Trailer', 'Upgrade', 'Proxy-Authorization']) {
        const res = await post({ [name]: 'x' })
        expect([res.status, res.json.error.details[0].path]).toEqual([422, `headers.${name}`])
        expect(res.json.error.message).toMatch(/is reserved/)
      }
      expect((await post({ 'Bad Name': 'x' })).json.error.message).toMatch(/^headers\.Bad Name: is not a valid header name/)
      expect((await post({ 'X-Evil': 'a\r\nX-Injected: 1' })).json.error.message).toMatch(/line breaks/)
      const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-H${i}`, 'v']))
      expect((await post(eleven)).json.error.message).toMatch(/^headers: must hold at most 10 headers/)
      expect((await post({ 'X-Big': 'v'.repeat(2100) })).json.error.message).toMatch(/^headers: must be at most 2048 bytes/)
      expect((await post({ 'X-A': '1', 'x-a': '2' })).json.error.message).toMatch(/given twice/)
      expect((await h.call('u1', 'GET', '/v1/webhooks')).json.data).toEqual([])
    })
  })
}
