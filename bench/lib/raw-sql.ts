// A tiny raw-SQL client over both drivers (mysql2 and better-sqlite3), with no Kysely in between, so
// the baselines measure the database and the driver and nothing of ours. The SQLite connection uses
// the same pragmas as the service (WAL, synchronous=FULL) so the comparison is like for like.
import { createRequire } from 'node:module'
import { createPool, type Pool, type PoolConnection } from 'mysql2/promise'
import type BetterSqlite3 from 'better-sqlite3'
import type { Dialect } from './database.js'

export interface RawSql {
  dialect: Dialect
  /** One statement, autocommit; returns rows for SELECT/RETURNING. */
  query(sql: string, params?: unknown[]): Promise<any[]>
  /** Runs fn inside one transaction on one connection. */
  tx<T>(fn: (q: (sql: string, params?: unknown[]) => Promise<any[]>) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export function openRaw(url: string, poolSize = 16): RawSql {
  return url.startsWith('sqlite:') ? sqlite(url.slice(7)) : mysql(url, poolSize)
}

function sqlite(path: string): RawSql {
  const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3
  const db = new Driver(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  const cache = new Map<string, BetterSqlite3.Statement>()
  const q = async (sql: string, params: unknown[] = []) => {
    let st = cache.get(sql)
    if (!st) cache.set(sql, (st = db.prepare(sql)))
    if (st.reader) return st.all(...params) as any[]
    st.run(...params)
    return []
  }
  return {
    dialect: 'sqlite',
    query: q,
    async tx(fn) {
      // better-sqlite3 is synchronous, so BEGIN … COMMIT around awaited (but synchronous) calls is
      // still one uninterrupted transaction.
      db.exec('BEGIN IMMEDIATE')
      try {
        const r = await fn(q)
        db.exec('COMMIT')
        return r
      } catch (err) {
        db.exec('ROLLBACK')
        throw err
      }
    },
    close: async () => void db.close(),
  }
}

function mysql(url: string, poolSize: number): RawSql {
  const pool: Pool = createPool({ uri: url, connectionLimit: poolSize, timezone: 'Z' })
  // Same isolation as the service: READ COMMITTED avoids insert/claim gap-lock deadlocks.
  pool.pool.on('connection', (c) => c.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'))
  const run = async (c: Pool | PoolConnection, sql: string, params: unknown[] = []) => {
    const [rows] = await c.query(sql, params)
    return Array.isArray(rows) ? (rows as any[]) : []
  }
  return {
    dialect: 'mysql',
    query: (sql, params) => run(pool, sql, params),
    async tx(fn) {
      const c = await pool.getConnection()
      try {
        await c.query('START TRANSACTION')
        const r = await fn((sql, params) => run(c, sql, params))
        await c.query('COMMIT')
        return r
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        c.release()
      }
    },
    close: () => pool.end(),
  }
}
