// The alert outbox: e-mails are written here in the same transaction as the state change that
// calls for them (so a crash cannot lose one or send one twice), and sent later by drain.ts.
// Rows are taken with a lease (a compare-and-set UPDATE), so several processes draining one
// database never send the same e-mail at once.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { newId } from '../db/ids.js'

/** Waits between tries of one e-mail; after the last one it is given up (status failed). */
export const RETRY_WAITS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000]
export const MAX_TRIES = RETRY_WAITS_MS.length + 1
/** A sender holds a row this long; a crashed one's rows come back after it. */
export const LEASE_MS = 2 * 60_000

export interface OutboxMail {
  userId: string
  endpointId: string
  kind: string
  to: string
  subject: string
  text: string
}

export async function queueMail(q: Kysely<Database>, mail: OutboxMail, nowMs: number): Promise<void> {
  await q.insertInto('alert_outbox').values({
    id: newId('mail', nowMs), user_id: mail.userId, endpoint_id: mail.endpointId, kind: mail.kind, to_address: mail.to,
    subject: mail.subject, body: mail.text, status: 'pending', attempts: 0, next_attempt_at: nowMs, lease_until: null,
    last_error: null, created_at: nowMs, sent_at: null,
  }).execute()
}

export interface TakenMail {
  id: string
  to: string
  subject: string
  text: string
  attempts: number
  leaseUntil: number
}

/** Takes up to `limit` due e-mails, each only if no other sender took it meanwhile. */
export async function takeDueMail(q: Kysely<Database>, nowMs: number, limit: number): Promise<TakenMail[]> {
  const due = await q
    .selectFrom('alert_outbox')
    .select(['id', 'to_address', 'subject', 'body', 'attempts'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', nowMs)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', nowMs)]))
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute()
  const taken: TakenMail[] = []
  for (const row of due) {
    const leaseUntil = nowMs + LEASE_MS
    const res = await q
      .updateTable('alert_outbox')
      .set({ lease_until: leaseUntil, attempts: sql<number>`attempts + 1` })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .where('attempts', '=', Number(row.attempts))
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) === 1) {
      taken.push({ id: row.id, to: row.to_address, subject: row.subject, text: row.body, attempts: Number(row.attempts) + 1, leaseUntil })
    }
  }
  return taken
}

export async function markSent(q: Kysely<Database>, mail: TakenMail, nowMs: number): Promise<void> {
  await q.updateTable('alert_outbox').set({ status: 'sent', sent_at: nowMs, lease_until: null, last_error: null }).where('id', '=', mail.id).execute()
}

export async function markFailed(q: Kysely<Database>, mail: TakenMail, error: string, nowMs: number): Promise<void> {
  const wait = RETRY_WAITS_MS[mail.attempts - 1]
  await q
    .updateTable('alert_outbox')
    .set(wait === undefined
      ? { status: 'failed', lease_until: null, next_attempt_at: null, last_error: error.slice(0, 300) }
      : { lease_until: null, next_attempt_at: nowMs + wait, last_error: error.slice(0, 300) })
    .where('id', '=', mail.id)
    .execute()
}
