// Multi-row INSERTs for the hot paths: ingest's events and deliveries, and the delivery log's
// attempts. kysely's builder makes an object per value and walks them all to compile the text: for
// a batch of 16 events that was ~170 µs of the one thread for the two statements, rebuilt for every
// batch (bench/tools/front-door-micro.ts). Here the statement's pieces are made once per table from
// a fixed column list, and the values go straight into the parameter array. The text and the
// parameters are exactly what kysely produced; only the building is skipped. Rows are cut into
// statements as insert-chunks.ts says (SQLite: sizes its statement cache keeps).
//
// With ignoreDuplicates, rows whose primary or unique key already exists are passed over instead of
// failing the statement: INSERT IGNORE on MySQL/MariaDB, INSERT … ON CONFLICT DO NOTHING on SQLite.
// The result says how many rows were really inserted, so "are any of these known?" costs no SELECT
// beforehand. IGNORE on MySQL also turns other errors (a value too long, a NULL in a NOT NULL
// column) into warnings: use it only for rows validated before they get here (ingest: zod checks
// every id, type and user id against the column sizes; the payload is far below its column's
// limit). SQLite's DO NOTHING covers uniqueness conflicts only (INSERT OR IGNORE would skip more).
import type { Kysely } from 'kysely'
import type { DialectCaps } from './dialect.js'
import { writeInChunks } from './insert-chunks.js'

interface InsertSpec {
  table: string
  columns: readonly string[]
  ignoreDuplicates?: boolean
}

export interface RowsInsert<R> extends InsertSpec {
  /** Column names in statement order; each row supplies a value for every one (undefined → NULL). */
  columns: readonly (keyof R & string)[]
  /** Most rows in one statement on MySQL, kept far below its placeholder limit. */
  mysqlRowsPerInsert: number
}

interface Shape {
  head: string
  row: string
  tail: string
}

// One entry per dialect and spec (the specs are module constants: a few in all), so a batch looks
// its shape up without building a key. Row counts are not part of it; the tuples are repeated per
// call, so no text of every batch size is kept in memory.
const shapes = { mysql: new WeakMap<InsertSpec, Shape>(), sqlite: new WeakMap<InsertSpec, Shape>() }

function shapeOf(caps: Pick<DialectCaps, 'kind'>, spec: InsertSpec): Shape {
  let shape = shapes[caps.kind].get(spec)
  if (!shape) {
    const q = (name: string) => (caps.kind === 'mysql' ? `\`${name}\`` : `"${name}"`)
    const ignore = spec.ignoreDuplicates && caps.kind === 'mysql' ? ' ignore' : ''
    shape = {
      head: `insert${ignore} into ${q(spec.table)} (${spec.columns.map(q).join(', ')}) values `,
      row: `(${spec.columns.map(() => '?').join(', ')})`,
      tail: spec.ignoreDuplicates && caps.kind !== 'mysql' ? ' on conflict do nothing' : '',
    }
    shapes[caps.kind].set(spec, shape)
  }
  return shape
}

/** The statement for `count` rows (exported for tests: the text must match what kysely wrote). */
export function insertText(caps: Pick<DialectCaps, 'kind'>, spec: InsertSpec, count: number): string {
  const s = shapeOf(caps, spec)
  return s.head + `${s.row}, `.repeat(count - 1) + s.row + s.tail
}

/** Inserts the rows, in as few statements as insertChunks allows; returns how many were inserted (fewer when duplicates were skipped). */
export function insertRows<R>(db: Kysely<any>, caps: Pick<DialectCaps, 'kind'>, spec: RowsInsert<R>, rows: readonly R[]): Promise<number> {
  return writeInChunks(db, caps, rows, spec.columns, spec.mysqlRowsPerInsert, (count) => insertText(caps, spec, count))
}
