// The hot multi-row INSERTs, written without kysely's builder: the same statement kysely would
// write, the rows stored as given, and duplicates skipped and counted when asked.
import { describe, expect, it } from 'vitest'
import { Kysely, MysqlDialect, SqliteDialect, type Insertable } from 'kysely'
import { insertRows, insertText, type RowsInsert } from '../../../server/db/insert-rows.js'
import type { Database, EventsTable } from '../../../server/db/schema.js'
import { useTestDb } from '../../helpers/db.js'
import { dialects } from '../../helpers/dialects.js'

const EVENTS: RowsInsert<Insertable<EventsTable>> = {
  table: 'events',
  columns: ['id', 'user_id', 'type', 'schema_version', 'occurred_at', 'payload', 'received_at'],
  mysqlRowsPerInsert: 200,
}
const event = (id: string, payload: string | null = `{"id":"${id}"}`) => ({
  id, user_id: 'u_1', type: 'email.received', schema_version: 1, occurred_at: 1_764_806_400_000, payload, received_at: 1_764_806_400_500,
})

// Compiling needs no connection: these instances never open one.
const compilers = {
  mysql: new Kysely<Database>({ dialect: new MysqlDialect({ pool: async () => { throw new Error('not connected') } }) }),
  sqlite: new Kysely<Database>({ dialect: new SqliteDialect({ database: async () => { throw new Error('not connected') } }) }),
}

describe('insert rows: the statement', () => {
  it.each(['mysql', 'sqlite'] as const)('is word for word what kysely writes for three rows on %s', (kind) => {
    const rows = [event('evt_1'), event('evt_2'), event('evt_3')]
    expect(insertText({ kind }, EVENTS, 3)).toBe(compilers[kind].insertInto('events').values(rows).compile().sql)
  })

  it('skips known keys with INSERT IGNORE on MySQL and ON CONFLICT DO NOTHING on SQLite, as kysely writes them', () => {
    const rows = [event('evt_1'), event('evt_2')]
    const skipping = { ...EVENTS, ignoreDuplicates: true }
    expect(insertText({ kind: 'mysql' }, skipping, 2)).toBe(compilers.mysql.insertInto('events').values(rows).ignore().compile().sql)
    expect(insertText({ kind: 'sqlite' }, skipping, 2)).toBe(compilers.sqlite.insertInto('events').values(rows).onConflict((oc) => oc.doNothing()).compile().sql)
  })
})

describe.each(dialects())('insert rows on %s', (dialect) => {
  const t = useTestDb(dialect)

  it('stores every row with its values, nulls included, and says how many it stored', async () => {
    const n = await insertRows(t.db.db, t.db.caps, EVENTS, [event('evt_1'), event('evt_2', null)])
    expect(n).toBe(2)
    const rows = await t.db.db.selectFrom('events').selectAll().orderBy('id').execute()
    expect(rows.map((r) => ({ ...r, occurred_at: Number(r.occurred_at), received_at: Number(r.received_at) }))).toEqual([event('evt_1'), event('evt_2', null)])
  })

  it('passes over rows whose id is already stored and counts only the new ones', async () => {
    await insertRows(t.db.db, t.db.caps, EVENTS, [event('evt_1', '{"first":true}')])
    const n = await insertRows(t.db.db, t.db.caps, { ...EVENTS, ignoreDuplicates: true }, [event('evt_1', '{"second":true}'), event('evt_2')])
    expect(n).toBe(1)
    const first = await t.db.db.selectFrom('events').select('payload').where('id', '=', 'evt_1').executeTakeFirstOrThrow()
    expect(first.payload).toBe('{"first":true}')
  })

  it('fails on a known id when not told to skip, and stores none of the statement', async () => {
    await insertRows(t.db.db, t.db.caps, EVENTS, [event('evt_1')])
    await expect(insertRows(t.db.db, t.db.caps, EVENTS, [event('evt_2'), event('evt_1')])).rejects.toThrow()
    const ids = await t.db.db.selectFrom('events').select('id').execute()
    expect(ids.map((r) => r.id)).toEqual(['evt_1'])
  })

  it('cuts rows over one statement\'s share into several, stores them all and counts them all', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => event(`evt_${i}`))
    // Two rows a statement on MySQL; on SQLite the cut follows insert-chunks.ts (here one of 4, one of 1).
    const n = await insertRows(t.db.db, t.db.caps, { ...EVENTS, mysqlRowsPerInsert: 2, ignoreDuplicates: true }, rows)
    expect(n).toBe(5)
    expect((await t.db.db.selectFrom('events').select('id').execute()).length).toBe(5)
  })

  it('makes no statement for no rows', async () => {
    expect(await insertRows(t.db.db, t.db.caps, EVENTS, [])).toBe(0)
  })
})
