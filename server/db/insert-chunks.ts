// How many rows go in one multi-row write (the INSERTs of insert-rows.ts, the UPDATEs of
// update-rows.ts), and running it part by part. On MySQL/MariaDB, as many as the caller allows:
// each statement is a round trip, and mysql2 sends the text (nothing is compiled and kept). On SQLite
// every distinct text is compiled, and kept by the statement cache (sqlite-statements.ts) only when
// small: a batch of 77 rows cut as 64 + 8 + 4 + 1 reuses four statements that every other batch
// shares, where one INSERT of 77 rows would be compiled for that one batch (about twice the cost of
// running it, and ~100 KB of SQLite's memory until V8 gets round to freeing the statement).
import { CompiledQuery, type Kysely } from 'kysely'
import type { DialectCaps } from './dialect.js'
import { MAX_PLACEHOLDERS_CACHED } from './sqlite-statements.js'

/**
 * The rows cut into INSERT-sized parts, in order. `columns` is the row width; `mysqlMax` the most
 * rows per statement on MySQL (kept far below its placeholder limit by the caller).
 */
export function insertChunks<T>(caps: Pick<DialectCaps, 'kind'>, rows: readonly T[], columns: number, mysqlMax: number): T[][] {
  const out: T[][] = []
  if (caps.kind === 'mysql') {
    for (let i = 0; i < rows.length; i += mysqlMax) out.push(rows.slice(i, i + mysqlMax))
    return out
  }
  // The largest power of two whose statement the cache keeps, then the remainder by its binary digits.
  let size = 1
  while (size * 2 * columns < MAX_PLACEHOLDERS_CACHED) size *= 2
  let i = 0
  while (i < rows.length) {
    while (size > rows.length - i) size /= 2
    out.push(rows.slice(i, i + size))
    i += size
  }
  return out
}

/**
 * Runs a multi-row statement over the rows in insertChunks' parts: `fields` are each row's values in
 * placeholder order, `text(n)` the statement for n rows. Returns the rows the statements affected.
 */
export async function writeInChunks<R>(
  db: Kysely<any>, caps: Pick<DialectCaps, 'kind'>, rows: readonly R[], fields: readonly (keyof R & string)[], mysqlMax: number, text: (count: number) => string,
): Promise<number> {
  let affected = 0
  for (const part of insertChunks(caps, rows, fields.length, mysqlMax)) {
    const params: unknown[] = new Array(part.length * fields.length)
    let at = 0
    for (const row of part) {
      for (const field of fields) params[at++] = row[field] ?? null
    }
    const result = await db.executeQuery(CompiledQuery.raw(text(part.length), params))
    affected += Number(result.numAffectedRows ?? 0)
  }
  return affected
}
