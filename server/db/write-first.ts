// SQLite has no row locks: a transaction that reads first and writes later holds a read snapshot,
// and when another process (a cron `tick` beside the server, a second worker) commits in between,
// its first write fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT) — busy_timeout
// cannot help. Taking the write lock as the transaction's first statement makes the other process
// wait its turn (busy_timeout) instead. MySQL locks rows, so there this does nothing.
// Every transaction that reads before it writes calls this first: claims, acks, ingest, creates.
import { sql, type Transaction } from 'kysely'
import type { Database } from './schema.js'
import type { DialectCaps } from './dialect.js'

export async function takeWriteLockFirst(trx: Transaction<Database>, caps: DialectCaps): Promise<void> {
  if (caps.kind !== 'sqlite') return
  // Matches no row, but as a write statement it acquires SQLite's write lock right away (the same
  // as BEGIN IMMEDIATE, which Kysely's transaction() cannot issue).
  await trx.updateTable('deliveries').set({ updated_at: sql<number>`updated_at` }).where(sql<boolean>`1 = 0`).execute()
}
