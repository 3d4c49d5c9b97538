// A prepared-statement cache in front of better-sqlite3. Kysely's SQLite driver calls prepare() for
// every query it runs; SQLite then parses and plans the same few dozen statements thousands of times
// a second on the hot path (7 % of the process's CPU in the noisy-neighbour bench). A statement is
// compiled once and reused: safe here because Kysely's driver holds one statement at a time behind
// its connection mutex and never iterates (no streaming), and SQLite re-prepares a cached statement
// by itself if the schema changes under it (migrations).
//
// The bound is on size, not only on count. A compiled statement costs ~90 bytes of SQLite's own
// memory per placeholder (measured: 500 multi-row INSERTs of 1…500 rows × 15 columns held 167 MB),
// and that memory is outside V8's heap, so nothing counts it. Bounded by count alone (500), the
// closed-loop ingest bench kept ~30 MB of such statements (web RSS 185–196 MB on SQLite against
// ~155 on MariaDB). Statements with more than MAX_PLACEHOLDERS_CACHED placeholders are not kept at
// all; the hot multi-row INSERTs are cut to sizes that are (db/insert-chunks.ts), and `in` lists are
// widened to a few lengths (db/sqlite-in-lists.ts).
import type BetterSqlite3 from 'better-sqlite3'
import { widenInLists, widenParams, type WidenedText } from './sqlite-in-lists.js'

/** Statements kept at most; each distinct text is one (`in` lists come in a few lengths: sqlite-in-lists.ts). */
const MAX_STATEMENTS = 500
/** Placeholders kept at most, all statements together: ~4 MB of compiled statements. */
export const MAX_PLACEHOLDERS_KEPT = 40_000
/** A statement with more placeholders than this is compiled for its one run and not kept. */
export const MAX_PLACEHOLDERS_CACHED = 2_048

/** What Kysely's SqliteDialect (and the tests) use of a statement. */
export type CachedStatement = Pick<BetterSqlite3.Statement, 'reader' | 'busy' | 'all' | 'get' | 'run' | 'iterate'>

/** What Kysely's SqliteDialect needs of a database: prepare and close. */
export interface StatementSource {
  prepare(sql: string): CachedStatement
  close(): void
}

export interface CacheBounds {
  statements?: number
  placeholders?: number
}

export function withStatementCache(database: BetterSqlite3.Database, bounds: CacheBounds = {}): StatementSource {
  const maxStatements = bounds.statements ?? MAX_STATEMENTS
  const maxPlaceholders = bounds.placeholders ?? MAX_PLACEHOLDERS_KEPT
  // A Map keeps insertion order: a hit moves the entry to the end, the oldest is first to go.
  const cache = new Map<string, { stmt: BetterSqlite3.Statement; weight: number }>()
  let kept = 0
  const compiled = (sql: string): BetterSqlite3.Statement => {
    const hit = cache.get(sql)
    // A statement still running (busy) cannot be run again; only a stream could leave it so.
    if (hit && !hit.stmt.busy) {
      cache.delete(sql)
      cache.set(sql, hit)
      return hit.stmt
    }
    const stmt = database.prepare(sql)
    const weight = placeholders(sql)
    if (weight > MAX_PLACEHOLDERS_CACHED) return stmt
    if (hit) kept -= hit.weight
    cache.set(sql, { stmt, weight })
    kept += weight
    for (const [oldest, entry] of cache) {
      if (cache.size <= maxStatements && kept <= maxPlaceholders) break
      cache.delete(oldest)
      kept -= entry.weight
    }
    return stmt
  }
  return {
    prepare(sql: string) {
      const widened = widenInLists(sql)
      return widened ? widenedStatement(compiled(widened.sql), widened, () => database.prepare(sql)) : compiled(sql)
    },
    close() {
      cache.clear()
      database.close()
    },
  }
}

/**
 * A statement's weight, in placeholders' worth (~90 bytes each in a multi-row INSERT; ~300 in an
 * `in` list, whose texts sqlite-in-lists.ts keeps to a few): its placeholders, plus one for the
 * statement, plus SELECT_WEIGHT for each SELECT in it. A SELECT's compiled program costs far more
 * than a placeholder: 100 prepared UNIONs of 100 probes each (200 SELECTs and 200 placeholders a
 * statement, due-heads.ts) held 26 MB, ~1.3 KB per SELECT, where placeholders alone counted 18 KB a
 * statement.
 */
function placeholders(sql: string): number {
  let n = 1
  for (let i = sql.indexOf('?'); i !== -1; i = sql.indexOf('?', i + 1)) n++
  for (let i = sql.indexOf('select '); i !== -1; i = sql.indexOf('select ', i + 1)) n += SELECT_WEIGHT
  return n
}

/** ~1.3 KB of compiled program per SELECT, in placeholders of ~90 bytes (see placeholders()). */
const SELECT_WEIGHT = 15

/**
 * The widened text's statement, run with the original text's parameters: each widened list's last
 * value is bound again in the added places. Parameters that do not match the original text's
 * placeholders in number (named ones, or a `?` the count took from a literal) run the original text.
 */
function widenedStatement(stmt: BetterSqlite3.Statement, widened: WidenedText, original: () => BetterSqlite3.Statement): CachedStatement {
  const bind = (args: unknown[]): { on: BetterSqlite3.Statement; params: unknown[] } => {
    const params = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args
    if (params.length !== widened.expects) return { on: original(), params }
    return { on: stmt, params: widenParams(params, widened.fills) }
  }
  return {
    get reader() { return stmt.reader },
    get busy() { return stmt.busy },
    all: (...args: unknown[]) => { const b = bind(args); return b.on.all(b.params) },
    get: (...args: unknown[]) => { const b = bind(args); return b.on.get(b.params) },
    run: (...args: unknown[]) => { const b = bind(args); return b.on.run(b.params) },
    iterate: (...args: unknown[]) => { const b = bind(args); return b.on.iterate(b.params) },
  } as CachedStatement
}
