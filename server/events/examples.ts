// One realistic event per type: shown in the catalogue and docs, validated by the tests, and the
// shape the mail app copies. Addresses use example domains; destinations are masked.
import type { EventType } from './types.js'
import type { EventOf } from './schemas/envelope.js'

const message = {
  id: 'msg_01JB8Z9Q1XK4V2M7T3N8R5W6YA',
  provider: 'postmark',
  provider_message_id: '883953f4-6105-42a2-a16a-77a8eac79483',
  internet_message_id: '<CAF3vq9b2x@mail.example.org>',
  envelope_from: 'sender@example.org',
  header_from: 'sender@example.org',
  size_bytes: 48211,
  attachment_count: 1,
  received_at: '2026-11-28T12:05:40.002Z',
  auth: { spf: 'pass', dkim: 'pass', dmarc: 'pass' },
} as const

const alias = { id: 'als_01HZ3K8M2N4P6Q8R0S2T4V6W8X', address: 'shop@alias.example', domain: 'alias.example', is_catch_all: false, plus_tag: null }
const destination = { id: 'dst_01HZ3K9A1B2C3D4E5F6G7H8J9K', address_masked: 'j***@gmail.com', type: 'email' } as const
const envelope = { schema_version: 1, user_id: 'usr_1042' } as const
const system = (id: string) => ({ type: 'system', id }) as const
const opsEndpoint = {
  id: 'wh_01JB7K2M4N6P8Q0R2S4T6V8W0X', description: 'Order system', url_host: 'orders.example.com',
  dashboard_url: 'https://hooks.example.com/dashboard/#/endpoints/wh_01JB7K2M4N6P8Q0R2S4T6V8W0X',
}

export const EXAMPLES: { [T in EventType]: EventOf<T> } = {
  'email.received': {
    ...envelope, id: 'evt_01JB8Z9Q2M6X6W9J3C1N7F4T2A', type: 'email.received', occurred_at: '2026-11-28T12:05:40.120Z',
    actor: { type: 'provider', id: 'postmark' },
    data: { status: 'received', message, alias, routing: { action: 'forward', destination_count: 2 } },
  },
  'email.forwarded': {
    ...envelope, id: 'evt_01JB8Z9Q2M6X6W9J3C1N7F4T2K', type: 'email.forwarded', occurred_at: '2026-11-28T12:05:41.482Z',
    actor: system('forwarder'),
    data: {
      status: 'forwarded', message, alias, destination, forwarded_at: '2026-11-28T12:05:41.470Z',
      smtp_response: { code: 250, enhanced_status: '2.0.0', reply: 'OK 1764331541 a1-20020a05' }, attempt: 1,
    },
  },
  'email.failed': {
    ...envelope, id: 'evt_01JB8ZB3W0Q5J7K2R9V6X1M8PZ', type: 'email.failed', occurred_at: '2026-11-28T12:05:44.120Z',
    actor: system('forwarder'),
    data: {
      status: 'failed', message, alias, destination,
      failure: {
        stage: 'forward', severity: 'permanent', category: 'capacity', smtp_code: 552, enhanced_status: '5.2.2',
        reason: 'The email account that you tried to reach is over quota.', remote_mta: 'gmail-smtp-in.l.google.com',
        attempt: 1, will_retry: false, next_retry_at: null,
      },
    },
  },
  'email.spam': {
    ...envelope, id: 'evt_01JB8ZC7D1E2F3G4H5J6K7M8NP', type: 'email.spam', occurred_at: '2026-11-28T12:07:02.310Z',
    actor: system('spam-filter'),
    data: {
      status: 'held', message, alias, verdict: 'quarantined', score: 7.4, threshold: 5, engine: 'spamassassin',
      rules: ['URIBL_BLOCKED', 'HTML_MESSAGE', 'FREEMAIL_FORGED_REPLYTO'], action: 'held',
    },
  },
  'email.oversize': {
    ...envelope, id: 'evt_01JB8ZD2Q3R4S5T6V7W8X9Y0ZA', type: 'email.oversize', occurred_at: '2026-11-28T12:09:15.004Z',
    actor: { type: 'provider', id: 'cloudflare' },
    data: {
      status: 'rejected', message: { ...message, provider: 'cloudflare', provider_message_id: null, size_bytes: 31457280, attachment_count: 3 },
      alias, size_bytes: 31457280, limit_bytes: 26214400, limit_source: 'cloudflare_25MiB', action: 'rejected',
      smtp_code: 552, enhanced_status: '5.3.4',
    },
  },
  'usage.threshold_reached': {
    ...envelope, id: 'evt_01JB9A0B1C2D3E4F5G6H7J8K9M', type: 'usage.threshold_reached', occurred_at: '2026-11-28T13:00:02.000Z',
    actor: system('usage-meter'),
    data: {
      scope: 'account', plan: 'starter', threshold_percent: 90,
      usage: { metric: 'messages_forwarded', period_start: '2026-11-01T00:00:00Z', period_end: '2026-12-01T00:00:00Z', used: 4502, limit: 5000, percent: 90.04 },
    },
  },
  'overflow.hold_started': {
    ...envelope, id: 'evt_01JBA1N2P3Q4R5S6T7V8W9X0YZ', type: 'overflow.hold_started', occurred_at: '2026-11-28T14:10:00.000Z',
    actor: system('limits'),
    data: {
      hold_id: 'hld_01JBA1N2P3Q4R5S6T7V8W9X0YA', scope: 'account', reason: 'monthly_limit',
      usage: { metric: 'bytes_forwarded', period_start: '2026-11-01T00:00:00Z', period_end: '2026-12-01T00:00:00Z', used: 104857600, limit: 104857600, percent: 100 },
      smtp_behavior: { code: 421, enhanced_status: '4.2.1', reply: 'Monthly limit reached, try again later' },
      hold_until: '2026-12-01T00:00:00Z', queued_messages: 0,
    },
  },
  'overflow.hold_released': {
    ...envelope, id: 'evt_01JBB2A3B4C5D6E7F8G9H0J1KM', type: 'overflow.hold_released', occurred_at: '2026-11-28T16:42:31.250Z',
    actor: { type: 'user', id: 'usr_1042' },
    data: {
      hold_id: 'hld_01JBA1N2P3Q4R5S6T7V8W9X0YA', scope: 'account', reason: 'upgrade', released_by: { type: 'user', id: 'usr_1042' },
      held_duration_s: 9151, messages_released: 37, messages_expired: 0,
    },
  },
  'webhook.test': {
    ...envelope, id: 'evt_01JBC3D4E5F6G7H8J9K0M1N2PQ', type: 'webhook.test', occurred_at: '2026-11-28T17:00:00.000Z',
    actor: { type: 'user', id: 'usr_1042' },
    data: { endpoint_id: 'wh_01JBC3D4E5F6G7H8J9K0M1N2PR', note: 'A test event sent from the QSM Webhooks dashboard.' },
  },
  'endpoint.failing': {
    ...envelope, id: 'evt_01JBD4E5F6G7H8J9K0M1N2P3QR', type: 'endpoint.failing', occurred_at: '2026-11-28T18:06:00.000Z',
    actor: system('endpoint-health'),
    data: {
      endpoint: opsEndpoint, failing_since: '2026-11-28T18:00:00.000Z', consecutive_failures: 3,
      last_error: 'HTTP 500',
    },
  },
  'endpoint.disabled': {
    ...envelope, id: 'evt_01JBG7H8J9K0M1N2P3Q4R5S6TV', type: 'endpoint.disabled', occurred_at: '2026-12-01T18:00:00.000Z',
    actor: system('endpoint-health'),
    data: {
      endpoint: opsEndpoint, disabled_at: '2026-12-01T18:00:00.000Z', disabled_by: 'failure_period',
      reason: 'Failing continuously for 3 days (since 2026-11-28 18:00 UTC)', last_error: 'HTTP 500',
    },
  },
  'endpoint.recovered': {
    ...envelope, id: 'evt_01JBH8J9K0M1N2P3Q4R5S6T7VW', type: 'endpoint.recovered', occurred_at: '2026-11-28T19:30:00.000Z',
    actor: system('endpoint-health'),
    data: { endpoint: opsEndpoint, recovered_at: '2026-11-28T19:30:00.000Z', failing_since: '2026-11-28T18:00:00.000Z' },
  },
}
