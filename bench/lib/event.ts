// The 1 KB event the bridge would send, and the Standard Webhooks headers that sign it with the
// bridge secret. Shared by the generator (our ingest and BullMQ's) and the raw baselines, so every
// system is fed byte-identical requests.
import { createHmac, randomBytes } from 'node:crypto'

export const BENCH_USER = 'bench-user'
export const EVENT_TYPE = 'email.received'

let seq = 0
const prefix = randomBytes(4).toString('hex').toUpperCase()

/** Unique, roughly time-ordered event ids (evt_ + 26 chars like the service's ULIDs). */
export function eventId(): string {
  seq++
  return `evt_${Date.now().toString(36).toUpperCase().padStart(10, '0')}${prefix}${seq.toString(36).toUpperCase().padStart(8, '0')}`
}

// Filler that brings the body to ~1 KB. It sits in a field the schema allows (the message's
// internet_message_id and header values) rather than in an invented key a strict schema would refuse.
const filler = 'x'.repeat(270)

/** A ~1 KB email.received envelope of `userId` (the bench user unless said). */
export function eventBody(id: string, nowMs = Date.now(), userId = BENCH_USER): string {
  const iso = new Date(nowMs).toISOString()
  return JSON.stringify({
    id,
    type: EVENT_TYPE,
    schema_version: 1,
    occurred_at: iso,
    user_id: userId,
    actor: { type: 'provider', id: 'cloudflare' },
    data: {
      message: {
        id: `msg_${id.slice(4)}`,
        provider: 'cloudflare',
        provider_message_id: null,
        internet_message_id: `<${filler}@bench.example>`,
        envelope_from: 'sender@example.org',
        header_from: 'Sender <sender@example.org>',
        size_bytes: 48211,
        attachment_count: 1,
        received_at: iso,
        auth: { spf: 'pass', dkim: 'pass', dmarc: 'pass' },
      },
      alias: { id: 'als_01', address: 'shop@alias.example.com', domain: 'alias.example.com', is_catch_all: false, plus_tag: null },
      status: 'received',
      routing: { action: 'forward', destination_count: 2 },
    },
  })
}

/** Standard Webhooks headers; `key` is the HMAC key bytes (bridge: the UTF-8 bytes of the secret). */
export function signedHeaders(key: Buffer, id: string, body: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000)
  const sig = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` }
}
