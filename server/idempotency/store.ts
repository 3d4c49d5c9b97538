// The idempotency_keys table: one row per (user, key), holding the first answer sealed like a
// secret (an endpoint's first answer carries its signing secret). Rows live IDEMPOTENCY_TTL_MS.
import type { Kysely } from 'kysely'
import type { Database, IdempotencyKeysTable } from '../db/schema.js'

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000

export type KeyRow = IdempotencyKeysTable

export async function findKey(db: Kysely<Database>, userId: string, key: string): Promise<KeyRow | undefined> {
  return db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', userId).where('idem_key', '=', key).executeTakeFirst()
}

/** Reserves the key for a request that is starting. False when another request holds it already. */
export async function reserveKey(db: Kysely<Database>, userId: string, key: string, requestHash: string, nowMs: number): Promise<boolean> {
  try {
    await db.insertInto('idempotency_keys').values({ user_id: userId, idem_key: key, request_hash: requestHash, status: 0, body_enc: null, created_at: nowMs }).execute()
    return true
  } catch {
    // Primary key taken: the same key arrived twice at once (or just now).
    return false
  }
}

export async function saveAnswer(db: Kysely<Database>, userId: string, key: string, status: number, bodyEnc: string): Promise<void> {
  await db.updateTable('idempotency_keys').set({ status, body_enc: bodyEnc }).where('user_id', '=', userId).where('idem_key', '=', key).execute()
}

export async function dropKey(db: Kysely<Database>, userId: string, key: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('idem_key', '=', key).execute()
}

/** Run by every tick beside the other retention purges. */
export async function purgeKeys(db: Kysely<Database>, nowMs: number): Promise<number> {
  const res = await db.deleteFrom('idempotency_keys').where('created_at', '<', nowMs - IDEMPOTENCY_TTL_MS).executeTakeFirst()
  return Number(res.numDeletedRows)
}
