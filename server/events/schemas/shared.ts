// The objects several event types share: the message (metadata only), the alias it was sent to,
// a forwarding destination, a failure, a usage figure and the acting party. Strict objects: the
// ingest refuses keys it does not know, so a typo in the mail app or a stray "subject" never reaches
// a receiver. The published JSON Schemas are open instead (receivers must ignore unknown fields).
import { z } from 'zod'

export const isoTime = z.iso.datetime({ offset: true })
const opaqueId = z.string().min(1).max(64)
const count = z.number().int().min(0)
const email = z.string().min(3).max(320)

/** Who caused the event. Open enum: new actor types may be added. */
export const Actor = z.strictObject({
  type: z.enum(['provider', 'system', 'user', 'admin', 'api']),
  id: z.string().min(1).max(64),
})

/** Message metadata. Never the subject, body or attachment content (privacy). */
export const Message = z.strictObject({
  id: opaqueId,
  provider: z.enum(['cloudflare', 'postmark', 'legacy_php']),
  provider_message_id: z.string().max(255).nullable(),
  internet_message_id: z.string().max(998).nullable(),
  envelope_from: email.nullable(),
  header_from: email.nullable(),
  size_bytes: count,
  attachment_count: count,
  received_at: isoTime,
  auth: z
    .strictObject({
      spf: z.enum(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror']),
      dkim: z.enum(['pass', 'fail', 'none', 'temperror', 'permerror']),
      dmarc: z.enum(['pass', 'fail', 'none', 'temperror', 'permerror']),
    })
    .nullable(),
})

export const Alias = z.strictObject({
  id: opaqueId,
  address: email,
  domain: z.string().min(1).max(255),
  is_catch_all: z.boolean(),
  plus_tag: z.string().max(64).nullable(),
})

/** Where a copy goes. The address is masked ("j***@gmail.com"): the full one stays in QSM. */
export const Destination = z.strictObject({
  id: opaqueId,
  address_masked: z.string().min(1).max(320),
  type: z.enum(['email', 'webhook']),
})

export const SmtpResponse = z.strictObject({
  code: z.number().int().min(200).max(599),
  enhanced_status: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/).nullable(),
  /** The SMTP reply line (named "reply": "text" is reserved for message content, which is refused). */
  reply: z.string().max(500),
})

/** Why forwarding failed. category and stage are open enums. */
export const Failure = z.strictObject({
  stage: z.enum(['receive', 'route', 'forward']),
  severity: z.enum(['temporary', 'permanent']),
  category: z.enum(['recipient', 'capacity', 'block', 'spam', 'dmarc', 'virus', 'size', 'network', 'rate_limit', 'config', 'provider', 'unknown']),
  smtp_code: z.number().int().min(200).max(599).nullable(),
  enhanced_status: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/).nullable(),
  reason: z.string().max(500),
  remote_mta: z.string().max(255).nullable(),
  attempt: z.number().int().min(1),
  will_retry: z.boolean(),
  next_retry_at: isoTime.nullable(),
})

/** A metered quantity over a billing period. metric is an open enum. */
export const Usage = z.strictObject({
  metric: z.enum(['messages_received', 'messages_forwarded', 'bytes_forwarded']),
  period_start: isoTime,
  period_end: isoTime,
  used: count,
  limit: count,
  percent: z.number().min(0),
})

export const Scope = z.enum(['account', 'alias', 'domain'])

export { opaqueId, count }
