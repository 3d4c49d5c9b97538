// Where a user's alerts go. The address arrives in the sign-in token (the mail app knows it) and
// is kept until the user sets one on the Alerts screen; from then on the user's choice wins.
import type { Kysely } from 'kysely'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/schema.js'
import { autocommitWrites } from '../db/write-first.js'
import { isUniqueViolation } from '../events/ingest.js'

export interface AlertSettings {
  email: string | null
  enabled: boolean
  source: 'token' | 'user' | null
}

export async function readAlertSettings(q: Kysely<Database>, userId: string): Promise<AlertSettings> {
  const row = await q.selectFrom('alert_settings').selectAll().where('user_id', '=', userId).executeTakeFirst()
  if (!row) return { email: null, enabled: true, source: null }
  return { email: row.email, enabled: Number(row.enabled) === 1, source: row.source as 'token' | 'user' }
}

export async function saveAlertSettings(db: Db, userId: string, value: { email: string | null; enabled: boolean }, nowMs: number): Promise<void> {
  const fields = { email: value.email, enabled: value.enabled ? 1 : 0, source: 'user', updated_at: nowMs }
  await upsert(db, userId, fields, () => true)
}

/**
 * Called on dashboard requests whose token carries an address: one primary-key read, and a write
 * only when the token brings a new address (the first sign-in, or the mail app's address changed).
 */
export async function rememberTokenEmail(db: Db, userId: string, email: string, nowMs: number): Promise<void> {
  const current = await db.db.selectFrom('alert_settings').select(['source', 'email']).where('user_id', '=', userId).executeTakeFirst()
  if (current && (current.source !== 'token' || current.email === email)) return
  // Only over an address that also came from a token: one the user typed on the Alerts screen stays.
  await upsert(db, userId, { email, enabled: 1, source: 'token', updated_at: nowMs }, (row) => row.source === 'token' && row.email !== email)
}

async function upsert(
  db: Db,
  userId: string,
  fields: { email: string | null; enabled: number; source: string; updated_at: number },
  replace: (row: { source: string; email: string | null }) => boolean,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await autocommitWrites(db, async (q) => {
        const row = await q.selectFrom('alert_settings').select(['source', 'email']).where('user_id', '=', userId).executeTakeFirst()
        if (!row) await q.insertInto('alert_settings').values({ user_id: userId, ...fields }).execute()
        else if (replace(row)) {
          // A token update keeps the user's on/off choice.
          const { enabled, ...rest } = fields
          await q.updateTable('alert_settings').set(fields.source === 'token' ? rest : { ...rest, enabled }).where('user_id', '=', userId).execute()
        }
      })
      return
    } catch (err) {
      // Two first requests of one user at once: the loser's insert finds the winner's row.
      if (attempt >= 2 || !isUniqueViolation(err)) throw err
    }
  }
}
