// A prepared-statement cache in front of better-sqlite3. Kysely's SQLite driver calls prepare() for
// every query it runs; SQLite then parses and plans the same few dozen statements thousands of times
// a second on the hot path (7 % of the process's CPU in the noisy-neighbour bench). A statement is
// compiled once and reused: safe here because Kysely's driver holds one statement at a time behind
// its connection mutex and never iterates (no streaming), and SQLite re-prepares a cached statement
// by itself if the schema changes under it (migrations).
import type BetterSqlite3 from 'better-sqlite3'

/** Statements kept; `in (?, ?, …)` lists of every length are distinct texts, so the cache is bounded. */
const MAX_STATEMENTS = 500

/** What Kysely's SqliteDialect needs of a database: prepare and close. */
export interface StatementSource {
  prepare(sql: string): BetterSqlite3.Statement
  close(): void
}

export function withStatementCache(database: BetterSqlite3.Database, max = MAX_STATEMENTS): StatementSource {
  // A Map keeps insertion order: a hit moves the entry to the end, the oldest is first to go.
  const cache = new Map<string, BetterSqlite3.Statement>()
  return {
    prepare(sql: string) {
      const hit = cache.get(sql)
      // A statement still running (busy) cannot be run again; only a stream could leave it so.
      if (hit && !hit.busy) {
        cache.delete(sql)
        cache.set(sql, hit)
        return hit
      }
      const stmt = database.prepare(sql)
      cache.set(sql, stmt)
      if (cache.size > max) cache.delete(cache.keys().next().value as string)
      return stmt
    },
    close() {
      cache.clear()
      database.close()
    },
  }
}
