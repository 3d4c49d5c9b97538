// The headers of one delivery attempt: our X-QSM-* names and the Standard Webhooks trio, from the
// same signatures, so a receiver can use either our recipe or any Standard Webhooks library.
// The event id is the idempotency key: the same on every attempt; the timestamp is new each time.
import { signatureHeader } from './sign.js'

export const USER_AGENT = 'QSM-Webhooks/0.1'

export interface SigningKey {
  keyId: string
  key: Buffer
}

export interface HeaderInput {
  eventId: string
  eventType: string
  /** The exact bytes that will be sent. */
  body: string
  /** Current key first, then the previous one while its rotation grace lasts. */
  keys: SigningKey[]
  nowMs: number
}

export function buildDeliveryHeaders(input: HeaderInput): Record<string, string> {
  if (input.keys.length === 0) throw new Error('a delivery needs at least one signing key')
  const timestamp = Math.floor(input.nowMs / 1000)
  const signature = signatureHeader(input.keys.map((k) => k.key), input.eventId, timestamp, input.body)
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': input.eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
    'x-qsm-event-id': input.eventId,
    'x-qsm-event-type': input.eventType,
    'x-qsm-timestamp': String(timestamp),
    'x-qsm-key-id': input.keys.map((k) => k.keyId).join(','),
    'x-qsm-signature': signature,
  }
}
