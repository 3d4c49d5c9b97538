// Multi-row UPDATEs with a value per row: each row gets its own values, only a row that still meets
// the condition is changed, the count says how many were, and the database finds each row by its key.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { updateRows, updateText, type RowsUpdate } from '../../../server/db/update-rows.js'
import { useTestDb } from '../../helpers/db.js'
import { dialects } from '../../helpers/dialects.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'

type Row = { row_id: string; row_owner: string; row_code: number | null; row_at: number }
const FINISH: RowsUpdate<Row> = {
  table: 'deliveries',
  key: 'id',
  values: ['row_id', 'row_owner', 'row_code', 'row_at'],
  set: ["status = 'succeeded'", 'attempts = attempts + 1', 'lease_owner = null', 'last_status_code = v.row_code', 'updated_at = v.row_at'],
  where: 'lease_owner = v.row_owner',
  mysqlRowsPerUpdate: 200,
}

describe.each(dialects())('update rows on %s', (dialect) => {
  const t = useTestDb(dialect)

  async function leased(n: number, owner: string): Promise<string[]> {
    const endpointId = await seedEndpoint(t.db, { userId: 'u_1' })
    const ids: string[] = []
    for (let i = 0; i < n; i++) ids.push((await seedPair(t.db, { userId: 'u_1', endpointId, at: 1_000 + i })).deliveryId)
    if (n > 0) await t.db.db.updateTable('deliveries').set({ lease_owner: owner }).where('id', 'in', ids).execute()
    return ids
  }
  const rowsOf = (ids: string[]) =>
    t.db.db.selectFrom('deliveries').select(['id', 'status', 'attempts', 'lease_owner', 'last_status_code', 'updated_at']).where('id', 'in', ids).orderBy('id').execute()

  it('gives each row its own values and counts the rows it changed', async () => {
    const ids = await leased(3, 'runner-a')
    const n = await updateRows(t.db.db, t.db.caps, FINISH, ids.map((id, i) => ({ row_id: id, row_owner: 'runner-a', row_code: 200 + i, row_at: 5_000 + i })))
    expect(n).toBe(3)
    const rows = await rowsOf(ids)
    expect(rows.map((r) => [r.status, Number(r.attempts), r.lease_owner, r.last_status_code, Number(r.updated_at)])).toEqual([
      ['succeeded', 1, null, 200, 5_000], ['succeeded', 1, null, 201, 5_001], ['succeeded', 1, null, 202, 5_002],
    ])
  })

  it('leaves a row that no longer meets the condition as it was, and counts only the others', async () => {
    const ids = await leased(3, 'runner-a')
    await t.db.db.updateTable('deliveries').set({ lease_owner: 'runner-b' }).where('id', '=', ids[1]!).execute()
    const n = await updateRows(t.db.db, t.db.caps, FINISH, ids.map((id) => ({ row_id: id, row_owner: 'runner-a', row_code: null, row_at: 9_000 })))
    expect(n).toBe(2)
    const rows = await rowsOf(ids)
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'pending', 'succeeded'])
    expect(rows[1]).toMatchObject({ lease_owner: 'runner-b', last_status_code: null })
  })

  it('writes more rows than fit one statement (MySQL: 200; SQLite: past its 500-term compound limit)', async () => {
    const ids = await leased(530, 'runner-a')
    const n = await updateRows(t.db.db, t.db.caps, FINISH, ids.map((id, i) => ({ row_id: id, row_owner: 'runner-a', row_code: 200, row_at: i })))
    expect(n).toBe(530)
    const left = await t.db.db.selectFrom('deliveries').select('id').where('status', '!=', 'succeeded').execute()
    expect(left).toEqual([])
  })

  it('finds each row by its primary key, not by reading the table', async () => {
    // A table of two rows: the case where MariaDB would rather read the whole table (and, in an
    // UPDATE, lock every row it reads).
    const ids = await leased(2, 'runner-a')
    const text = updateText(t.db.caps, FINISH, 2)
    const params = ids.flatMap((id) => [id, 'runner-a', 200, 1])
    if (t.db.caps.kind === 'mysql') {
      const plan = await t.db.db.executeQuery<{ table: string; type: string; key: string | null }>(sql.raw('explain ' + inline(text, params)).compile(t.db.db))
      expect(plan.rows.find((r) => r.table === 'deliveries')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' })
    } else {
      const plan = await t.db.db.executeQuery<{ detail: string }>(sql.raw('explain query plan ' + inline(text, params)).compile(t.db.db))
      const details = plan.rows.map((r) => r.detail)
      expect(details.some((d) => /^SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1 \(id=\?\)/.test(d))).toBe(true)
      expect(details.some((d) => /^SCAN deliveries/.test(d))).toBe(false)
    }
  })
})

/** The statement with its values written in (EXPLAIN takes no placeholders through sql.raw). */
function inline(text: string, params: unknown[]): string {
  let i = 0
  return text.replace(/\?/g, () => {
    const v = params[i++]
    return typeof v === 'string' ? `'${v}'` : String(v)
  })
}
