import { describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { secretKey, sign, signatureHeader } from '../../../server/signing/sign.js'
import { verify, VerificationError } from '../../../server/signing/verify.js'

// The published Standard Webhooks vector (identical in its JS, PHP, Go, Java and C# test suites).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  expected: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}

describe('sign', () => {
  it('reproduces the published Standard Webhooks vector', () => {
    expect(sign(secretKey(VECTOR.secret), VECTOR.id, VECTOR.timestamp, VECTOR.payload)).toBe(VECTOR.expected)
  })

  it('reproduces the derived vectors for another payload and an empty body', () => {
    const key = secretKey(VECTOR.secret)
    expect(sign(key, VECTOR.id, VECTOR.timestamp, '{"test": 2432232315}')).toBe('v1,TW/pFPJ2/LwRQdgfM7WklE9yJiRyMs0cTpVPK8leNAU=')
    expect(sign(key, VECTOR.id, VECTOR.timestamp, '')).toBe('v1,v48jdbgvh29KJz2Qc+ghw8G6vG3nAKnujWBg8oM/62A=')
  })

  it('reads the secret the same with or without the whsec_ prefix', () => {
    expect(secretKey(VECTOR.secret)).toEqual(secretKey(VECTOR.secret.slice(6)))
    expect(secretKey(VECTOR.secret).toString('hex')).toBe('31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0')
  })

  it('holds a key in memory of its own size, not in a shared 8 KB slab the engine would keep alive with it', () => {
    const key = secretKey(VECTOR.secret)
    expect(key.buffer.byteLength).toBe(key.length)
  })

  it('refuses an empty secret and a fractional timestamp', () => {
    expect(() => secretKey('whsec_')).toThrow(/empty/)
    expect(() => sign(secretKey(VECTOR.secret), 'id', 1.5, '')).toThrow(/whole unix seconds/)
  })

  it('joins one signature per key with a single space during rotation', () => {
    const keys = [secretKey(VECTOR.secret), Buffer.alloc(32, 1)]
    const header = signatureHeader(keys, VECTOR.id, VECTOR.timestamp, VECTOR.payload)
    expect(header.split(' ')).toHaveLength(2)
    expect(header.startsWith(VECTOR.expected + ' v1,')).toBe(true)
  })

  it('is accepted by the official standardwebhooks library', () => {
    const now = Date.now()
    const ts = Math.floor(now / 1000)
    const body = '{"type":"webhook.test"}'
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': sign(secretKey(VECTOR.secret), 'evt_1', ts, body) }
    expect(new Webhook(VECTOR.secret).verify(body, headers)).toEqual({ type: 'webhook.test' })
  })
})

describe('verify', () => {
  const key = secretKey(VECTOR.secret)
  const nowMs = VECTOR.timestamp * 1000
  const input = { id: VECTOR.id, timestamp: String(VECTOR.timestamp), signature: VECTOR.expected, body: VECTOR.payload }

  it('accepts the vector at its own time', () => {
    expect(verify([key], input, nowMs)).toBe(VECTOR.timestamp)
  })

  it('accepts a signature 300 s old and refuses one 301 s old', () => {
    expect(verify([key], input, nowMs + 300_000)).toBe(VECTOR.timestamp)
    expect(() => verify([key], input, nowMs + 301_000)).toThrow(/too old/)
  })

  it('refuses a timestamp more than the tolerance in the future', () => {
    expect(() => verify([key], input, nowMs - 301_000)).toThrow(/future/)
  })

  it('honours a custom tolerance', () => {
    expect(() => verify([key], input, nowMs + 61_000, 60)).toThrow(/too old/)
  })

  it('finds the valid entry among decoys and skips other versions', () => {
    const decoy = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='
    const signature = `${decoy} v2,${VECTOR.expected.slice(3)} ${VECTOR.expected} ${decoy}`
    expect(verify([key], { ...input, signature }, nowMs)).toBe(VECTOR.timestamp)
    expect(() => verify([key], { ...input, signature: `v2,${VECTOR.expected.slice(3)}` }, nowMs)).toThrow(/no matching signature/)
  })

  it('refuses a changed body, a wrong key, a truncated or bare signature', () => {
    expect(() => verify([key], { ...input, body: VECTOR.payload + ' ' }, nowMs)).toThrow(VerificationError)
    expect(() => verify([Buffer.alloc(24, 1)], input, nowMs)).toThrow(/no matching signature/)
    expect(() => verify([key], { ...input, signature: VECTOR.expected.slice(0, 8) }, nowMs)).toThrow(/no matching signature/)
    expect(() => verify([key], { ...input, signature: 'v1,' }, nowMs)).toThrow(/no matching signature/)
  })

  it('refuses missing headers and a timestamp that is not a number', () => {
    expect(() => verify([key], { ...input, id: undefined }, nowMs)).toThrow(/missing/)
    expect(() => verify([key], { ...input, signature: '' }, nowMs)).toThrow(/missing/)
    expect(() => verify([key], { ...input, timestamp: 'hello' }, nowMs)).toThrow(/not unix seconds/)
  })

  it('accepts any of several keys (the old key during rotation)', () => {
    expect(verify([Buffer.alloc(32, 2), key], input, nowMs)).toBe(VECTOR.timestamp)
  })
})
