// Write transactions that read before they write (claims, acks, ingest, endpoint creation).
//
// SQLite has no row locks: a transaction that reads first and writes later holds a read snapshot,
// and when another process (a cron `tick` beside the server, a second worker) commits in between,
// its first write fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT) — busy_timeout
// cannot help. So the write lock is taken as the transaction's first statement.
//
// Waiting for that lock must not block the process: better-sqlite3 is synchronous, and a
// busy_timeout wait freezes the whole event loop — every HTTP request, and every webhook in
// flight, whose timeout then fires on an answer that had already arrived (measured: four SQLite
// workers turned 0-25 ms answers into 1.2 s "timeouts" and sent them again). So the lock is tried
// without waiting, and while another process holds it the transaction is started again after a
// short asynchronous pause. MySQL locks rows, so there a transaction is just a transaction.
import { sql, type Kysely, type Transaction } from 'kysely'
import { SQLITE_SYNCHRONOUS, type Db } from './connect.js'
import type { Database } from './schema.js'

/** As long as connect.ts lets a plain statement wait (busy_timeout); then the busy error goes up. */
const LOCK_WAIT_MS = 5_000
const FIRST_PAUSE_MS = 2
const MAX_PAUSE_MS = 25

export interface WriteOptions {
  /**
   * False for the delivery engine's bookkeeping (claims, results, leases given back, endpoint
   * health): a commit a power cut may lose is recovered by the lease model — the row is due again
   * and sent again, at least once. On SQLite such a commit is not fsynced before it returns
   * (synchronous = NORMAL in WAL mode: the database stays consistent, and a process crash loses
   * nothing; only an operating-system crash or power loss can drop the last such commits).
   * Everything else — above all the ingest that answers 202 — is durable: on SQLite it too commits
   * at NORMAL, but returns only after an fsync of the WAL that ran on the thread pool, not on the
   * event loop (sqlite-wal-sync.ts, docs/reliability.md). MySQL's durability is the server's setting.
   */
  durable?: boolean
}

export async function writeTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>, opts: WriteOptions = {}): Promise<T> {
  if (db.caps.kind !== 'sqlite') return db.db.transaction().execute(work)
  const deadline = Date.now() + LOCK_WAIT_MS
  const durable = opts.durable ?? true
  // A database without the asynchronous flush (SQLite in memory: no WAL file) keeps the fsync
  // setting in its commit.
  const flushLater = durable ? db.flushLog : undefined
  const inCommitSync = durable && !flushLater
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    let locked = false
    try {
      const attempt = (q: Kysely<Database>) => q.transaction().execute(async (trx) => {
        await takeWriteLockNow(trx)
        locked = true
        return work(trx)
      })
      if (inCommitSync) return await attempt(db.db)
      // The level can only change outside a transaction, so it is set on the connection this
      // transaction holds (SQLite has one; no other statement can run between) and put back after.
      const result = await db.db.connection().execute(async (conn) => {
        await sql`pragma synchronous = NORMAL`.execute(conn)
        try {
          return await attempt(conn)
        } finally {
          await sql`pragma synchronous = ${sql.raw(SQLITE_SYNCHRONOUS)}`.execute(conn)
        }
      })
      // Committed; stored once the WAL's fsync (shared with whoever committed meanwhile) is done.
      if (flushLater) await flushLater()
      return result
    } catch (err) {
      // Only the lock attempt is retried: once locked, an error is the work's own.
      if (locked || !isBusy(err) || Date.now() >= deadline) throw err
    }
    // Jittered, so processes that collided do not collide again in step.
    await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random())))
  }
}

/**
 * Short independent writes (endpoint health after results, giving leases back). On SQLite they run
 * together in one writeTransaction: one lock, waited for without blocking, instead of one blocking
 * busy_timeout wait per statement. On MySQL each statement stays its own autocommit, so no row
 * lock is held from one to the next.
 */
export async function autocommitWrites<T>(db: Db, work: (q: Kysely<Database>) => Promise<T>, opts: WriteOptions = {}): Promise<T> {
  if (db.caps.kind !== 'sqlite') return work(db.db)
  return writeTransaction(db, work, opts)
}

/** SQLite only: the write lock now, or SQLITE_BUSY now; never a blocking wait. */
async function takeWriteLockNow(trx: Transaction<Database>): Promise<void> {
  const current = await sql<{ timeout: number }>`pragma busy_timeout`.execute(trx)
  const busyTimeout = Number(current.rows[0]?.timeout ?? 0)
  // The connection is this transaction's alone until it ends, so the setting cannot leak.
  await sql`pragma busy_timeout = 0`.execute(trx)
  try {
    // Matches no row, but as a write statement it acquires SQLite's write lock right away (the
    // same as BEGIN IMMEDIATE, which Kysely's transaction() cannot issue).
    await trx.updateTable('deliveries').set({ updated_at: sql<number>`updated_at` }).where(sql<boolean>`1 = 0`).execute()
  } finally {
    await sql`pragma busy_timeout = ${sql.raw(String(Math.max(0, Math.floor(busyTimeout))))}`.execute(trx)
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}
