// Multi-row UPDATEs with a value per row, for the result writes of the delivery engine. The way
// kysely can say it, `SET col = CASE WHEN id = ? THEN ? … END` for every column, costs the service
// ~3 µs per row to build and compile, and the database a comparison per row and WHEN: an ack batch
// of 128 successes with five such columns is ~80,000 id comparisons. Here the rows are a derived
// table joined to the target by its key, so the database looks each row up once by primary key,
// and the text is made once per table and size. Worker drain on MariaDB, upper bound (the CASEs
// left out): 4,545 · 5,284 → 5,476 · 5,889 deliveries/s, database 0.47 → 0.43 cores.
//
// A spec's `set` and `where` are SQL written by its owner (server/delivery): the target's columns
// bare, the row's values as `v.<name>`. The same text must read the same on both dialects, so
// source names must differ from the target's column names.
import type { Kysely } from 'kysely'
import type { DialectCaps } from './dialect.js'
import { writeInChunks } from './insert-chunks.js'

export interface RowsUpdate<R> {
  table: string
  /** The key column of the table each row is matched on (its primary key). */
  key: string
  /** The row's values, in order: the first is the key's value. Named v.<name> in set and where. */
  values: readonly (keyof R & string)[]
  /** Assignments, `column = expression`. */
  set: readonly string[]
  /** The condition a row must still meet to be updated (the count says how many did). */
  where: string
  /** Most rows in one statement on MySQL. */
  mysqlRowsPerUpdate: number
}

interface Shape {
  head: string
  first: string
  row: string
  tail: string
}

const shapes = { mysql: new WeakMap<RowsUpdate<never>, Shape>(), sqlite: new WeakMap<RowsUpdate<never>, Shape>() }

function shapeOf(caps: Pick<DialectCaps, 'kind'>, spec: RowsUpdate<never>): Shape {
  let shape = shapes[caps.kind].get(spec)
  if (shape) return shape
  const names = spec.values as readonly string[]
  const marks = names.map(() => '?').join(', ')
  const set = spec.set.join(', ')
  if (caps.kind === 'mysql') {
    // MariaDB's VALUES table has no column names, so the rows are a UNION ALL of SELECTs; the
    // first names the columns. The rows first, then each looked up by primary key (`key` must be
    // it), both forced: on a small table MariaDB would rather read the whole table, and an UPDATE
    // locks every row it reads, so one runner's batch of acks would hold up the others' until it
    // commits (tests/server/db/update-rows.test.ts reads the plan).
    shape = {
      head: `update (`,
      first: `select ${names.map((n) => `? as \`${n}\``).join(', ')}`,
      row: ` union all select ${marks}`,
      tail: `) as v straight_join \`${spec.table}\` force index (primary) on \`${spec.table}\`.\`${spec.key}\` = v.\`${names[0]}\` set ${set} where (${spec.where})`,
    }
  } else {
    // SQLite's UPDATE … FROM (3.33+). A multi-row VALUES has no compound-SELECT limit (500);
    // its columns are column1, column2, … and are named by the SELECT around it.
    shape = {
      head: `update "${spec.table}" set ${set} from (select ${names.map((n, i) => `column${i + 1} as "${n}"`).join(', ')} from (values `,
      first: `(${marks})`,
      row: `, (${marks})`,
      tail: `)) as v where "${spec.table}"."${spec.key}" = v."${names[0]}" and (${spec.where})`,
    }
  }
  shapes[caps.kind].set(spec, shape)
  return shape
}

/** The statement for `count` rows (exported for tests). */
export function updateText<R>(caps: Pick<DialectCaps, 'kind'>, spec: RowsUpdate<R>, count: number): string {
  const s = shapeOf(caps, spec as RowsUpdate<never>)
  return s.head + s.first + s.row.repeat(count - 1) + s.tail
}

/** Updates the rows that still meet the spec's condition; returns how many it updated. */
export function updateRows<R>(db: Kysely<any>, caps: Pick<DialectCaps, 'kind'>, spec: RowsUpdate<R>, rows: readonly R[]): Promise<number> {
  return writeInChunks(db, caps, rows, spec.values, spec.mysqlRowsPerUpdate, (count) => updateText(caps, spec, count))
}
