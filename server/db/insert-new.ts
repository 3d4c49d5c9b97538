// An INSERT that passes over rows whose primary or unique key already exists instead of failing:
// INSERT IGNORE on MySQL/MariaDB, INSERT … ON CONFLICT DO NOTHING on SQLite. The caller learns
// how many rows were really inserted (numInsertedOrUpdatedRows), so "are any of these known?" costs
// no SELECT beforehand. Only here does anything know which spelling a dialect needs.
//
// IGNORE on MySQL also turns other errors (a value too long, a NULL in a NOT NULL column) into
// warnings. Use it only for rows validated before they get here (ingest: zod checks every id,
// type and user id against the column sizes; the payload is far below its column's limit).
// SQLite's DO NOTHING covers uniqueness conflicts only (INSERT OR IGNORE would skip more).
import type { InsertQueryBuilder } from 'kysely'
import type { DialectCaps } from './dialect.js'

export function skippingDuplicates<DB, TB extends keyof DB, O>(qb: InsertQueryBuilder<DB, TB, O>, caps: Pick<DialectCaps, 'kind'>): InsertQueryBuilder<DB, TB, O> {
  return caps.kind === 'mysql' ? qb.orIgnore() : qb.onConflict((oc) => oc.doNothing())
}
