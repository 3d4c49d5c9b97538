// Data of the email.* events: one message passing through QSM. Each carries the message metadata
// and the alias; forwarding outcomes add the destination. No subjects or bodies, ever.
import { z } from 'zod'
import { Alias, Destination, Failure, Message, SmtpResponse, count, isoTime } from './shared.js'

export const EmailReceived = z.strictObject({
  status: z.literal('received'),
  message: Message,
  alias: Alias,
  routing: z.strictObject({
    action: z.enum(['forward', 'hold', 'reject', 'drop']),
    destination_count: count,
  }),
})

/** One per destination: the copy was handed to the forwarding path. */
export const EmailForwarded = z.strictObject({
  status: z.literal('forwarded'),
  message: Message,
  alias: Alias,
  destination: Destination,
  forwarded_at: isoTime,
  /** The relay's answer; null when the provider gives none (Cloudflare). */
  smtp_response: SmtpResponse.nullable(),
  attempt: z.number().int().min(1),
})

export const EmailFailed = z.strictObject({
  status: z.literal('failed'),
  message: Message,
  alias: Alias,
  destination: Destination,
  failure: Failure,
})

export const EmailSpam = z.strictObject({
  status: z.enum(['forwarded', 'held', 'dropped', 'rejected', 'quarantined']),
  message: Message,
  alias: Alias,
  verdict: z.enum(['flagged', 'quarantined', 'rejected']),
  score: z.number().nullable(),
  threshold: z.number().nullable(),
  engine: z.enum(['spamassassin', 'provider', 'rule']),
  /** Rule names that matched, e.g. "URIBL_BLOCKED"; never message text. */
  rules: z.array(z.string().min(1).max(100)).max(50),
  action: z.enum(['forwarded_tagged', 'held', 'dropped', 'rejected']),
})

export const EmailOversize = z.strictObject({
  status: z.enum(['rejected', 'forwarded', 'held']),
  message: Message,
  alias: Alias,
  size_bytes: count,
  limit_bytes: count,
  limit_source: z.enum(['plan', 'cloudflare_25MiB', 'postmark_35MB']),
  action: z.enum(['rejected', 'forwarded_without_attachments', 'held']),
  smtp_code: z.number().int().min(200).max(599).nullable(),
  enhanced_status: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/).nullable(),
})
