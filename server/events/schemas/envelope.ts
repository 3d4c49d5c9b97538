// The versioned envelope every event travels in, and one full schema per event type built from it.
// schema_version counts breaking changes of one type's data (see docs/events.md).
import { z } from 'zod'
import type { EventType } from '../types.js'
import { USER_ID_MAX, USER_ID_PATTERN, USER_ID_RULE } from '../../auth/user-id.js'
import { Actor, isoTime } from './shared.js'
import { EmailFailed, EmailForwarded, EmailOversize, EmailReceived, EmailSpam } from './email.js'
import { UsageThresholdReached } from './usage.js'
import { HoldReleased, HoldStarted } from './overflow.js'
import { WebhookTest } from './test.js'

export const EVENT_ID = /^evt_[A-Za-z0-9]{10,60}$/
export const SCHEMA_VERSION = 1

const id = z.string().regex(EVENT_ID, 'must be "evt_" followed by 10 to 60 letters or digits')
const envelopeFields = {
  schema_version: z.literal(SCHEMA_VERSION),
  occurred_at: isoTime,
  // Refused at the door rather than stored: "alice " would match alice's rows on MariaDB (PAD SPACE).
  user_id: z.string().min(1).max(USER_ID_MAX).regex(USER_ID_PATTERN, USER_ID_RULE),
  actor: Actor,
  // Set by the PHP bridge when data held bytes that are not UTF-8 (remote mail servers' reply
  // text often does): they were replaced with U+FFFD rather than the event being dropped.
  invalid_utf8_replaced: z.literal(true).optional(),
}

/** The envelope with data left open, for the envelope's own JSON Schema. */
export const Envelope = z.strictObject({
  id,
  type: z.string().min(1).max(64),
  ...envelopeFields,
  data: z.record(z.string(), z.unknown()),
})

export const DATA_SCHEMAS = {
  'email.received': EmailReceived,
  'email.forwarded': EmailForwarded,
  'email.failed': EmailFailed,
  'email.spam': EmailSpam,
  'email.oversize': EmailOversize,
  'usage.threshold_reached': UsageThresholdReached,
  'overflow.hold_started': HoldStarted,
  'overflow.hold_released': HoldReleased,
  'webhook.test': WebhookTest,
} as const satisfies Record<EventType, z.ZodType>

function eventSchema<T extends EventType>(type: T) {
  return z.strictObject({ id, type: z.literal(type), ...envelopeFields, data: DATA_SCHEMAS[type] })
}

export const EVENT_SCHEMAS = {
  'email.received': eventSchema('email.received'),
  'email.forwarded': eventSchema('email.forwarded'),
  'email.failed': eventSchema('email.failed'),
  'email.spam': eventSchema('email.spam'),
  'email.oversize': eventSchema('email.oversize'),
  'usage.threshold_reached': eventSchema('usage.threshold_reached'),
  'overflow.hold_started': eventSchema('overflow.hold_started'),
  'overflow.hold_released': eventSchema('overflow.hold_released'),
  'webhook.test': eventSchema('webhook.test'),
} as const

/** Any event: the type picks the data schema, so errors name the right fields. */
export const AnyEvent = z.discriminatedUnion('type', Object.values(EVENT_SCHEMAS) as unknown as [
  (typeof EVENT_SCHEMAS)['email.received'],
  ...(typeof EVENT_SCHEMAS)[EventType][],
])

export type EventEnvelope = z.infer<typeof AnyEvent>
export type EventOf<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>
