// Data of the overflow.* events: an account, alias or domain entering and leaving Overflow Hold,
// during which QSM defers incoming mail with a temporary SMTP answer.
import { z } from 'zod'
import { Actor, Scope, Usage, count, isoTime, opaqueId } from './shared.js'

export const HoldStarted = z.strictObject({
  hold_id: opaqueId,
  scope: Scope,
  reason: z.enum(['monthly_limit', 'rate_limit', 'manual']),
  /** The figure that triggered the hold; null for a manual hold. */
  usage: Usage.nullable(),
  smtp_behavior: z.strictObject({
    code: z.number().int().min(400).max(499),
    enhanced_status: z.string().regex(/^4\.\d{1,3}\.\d{1,3}$/),
    /** The SMTP reply line (named "reply": "text" is reserved for message content, which is refused). */
    reply: z.string().max(500),
  }),
  /** When the hold ends by itself (the period end); null when only a person can lift it. */
  hold_until: isoTime.nullable(),
  queued_messages: count,
})

export const HoldReleased = z.strictObject({
  hold_id: opaqueId,
  scope: Scope,
  reason: z.enum(['period_rollover', 'upgrade', 'manual', 'expired']),
  released_by: Actor,
  held_duration_s: count,
  messages_released: count,
  messages_expired: count,
})
