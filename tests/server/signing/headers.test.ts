import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { buildDeliveryHeaders, USER_AGENT } from '../../../server/signing/headers.js'
import { secretKey } from '../../../server/signing/sign.js'
import { createUndiciSender } from '../../../server/delivery/sender.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'

// The published Standard Webhooks vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  expected: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const OLD_SECRET = 'whsec_' + Buffer.alloc(32, 3).toString('base64')

describe('buildDeliveryHeaders', () => {
  it('signs the published vector and repeats the signature under both header names', () => {
    const h = buildDeliveryHeaders({
      eventId: VECTOR.id, eventType: 'email.received', body: VECTOR.payload,
      keys: [{ keyId: 'key_A', key: secretKey(VECTOR.secret) }], nowMs: VECTOR.timestamp * 1000 + 999,
    })
    expect(h).toEqual({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': VECTOR.expected,
      'x-qsm-event-id': VECTOR.id,
      'x-qsm-event-type': 'email.received',
      'x-qsm-timestamp': String(VECTOR.timestamp),
      'x-qsm-key-id': 'key_A',
      'x-qsm-signature': VECTOR.expected,
    })
  })

  it('sends one signature per key during a rotation, current key first, and names both keys', () => {
    const h = buildDeliveryHeaders({
      eventId: VECTOR.id, eventType: 'email.received', body: VECTOR.payload,
      keys: [{ keyId: 'key_new', key: secretKey(VECTOR.secret) }, { keyId: 'key_old', key: secretKey(OLD_SECRET) }], nowMs: VECTOR.timestamp * 1000,
    })
    const [first, second] = h['webhook-signature']!.split(' ')
    expect(first).toBe(VECTOR.expected)
    expect(second).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(h['x-qsm-key-id']).toBe('key_new,key_old')
    expect(h['x-qsm-signature']).toBe(h['webhook-signature'])
  })

  it('refuses to build headers without a key', () => {
    expect(() => buildDeliveryHeaders({ eventId: 'evt_1', eventType: 't', body: '{}', keys: [], nowMs: 0 })).toThrow(/signing key/)
  })
})

describe('a real signed delivery', () => {
  let receiver: Receiver
  const sender = createUndiciSender({ allowPrivateTargets: true, concurrency: 2 })
  beforeAll(async () => { receiver = await startReceiver() })
  afterAll(async () => { await receiver.close(); await sender.close() })

  it('verifies with the official standardwebhooks library, with either secret during a rotation', async () => {
    const newSecret = 'whsec_' + Buffer.alloc(32, 5).toString('base64')
    const body = JSON.stringify({ id: 'evt_01JBTEST0000000000000000', type: 'email.received', data: { note: 'héllo ✓' } })
    const headers = buildDeliveryHeaders({
      eventId: 'evt_01JBTEST0000000000000000', eventType: 'email.received', body,
      keys: [{ keyId: 'key_new', key: secretKey(newSecret) }, { keyId: 'key_old', key: secretKey(OLD_SECRET) }], nowMs: Date.now(),
    })
    const result = await sender.send({ url: `${receiver.url}/hook`, headers, body, timeoutMs: 5000 })
    expect(result.ok).toBe(true)
    const [got] = await receiver.waitFor(1)
    expect(got!.body).toBe(body)
    expect(got!.headers['user-agent']).toBe(USER_AGENT)
    for (const secret of [newSecret, OLD_SECRET]) {
      expect(new Webhook(secret).verify(got!.body, got!.headers)).toEqual(JSON.parse(body))
    }
    expect(() => new Webhook('whsec_' + Buffer.alloc(32, 6).toString('base64')).verify(got!.body, got!.headers)).toThrow()
  })
})
