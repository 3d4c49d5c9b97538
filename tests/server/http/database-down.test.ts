// isDatabaseDown() decides between "503, try again" and "500, our bug". Each case here is the
// real error a driver throws, produced by doing the thing to a real database.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { createConnection } from 'mysql2/promise'
import { isDatabaseDown } from '../../../server/db/down.js'
import { mysqlAdminUrl } from '../../helpers/dialects.js'

async function thrownBy(work: () => unknown): Promise<unknown> {
  try {
    await work()
  } catch (err) {
    return err
  }
  throw new Error('expected the database to refuse')
}

describe('isDatabaseDown', () => {
  const admin = mysqlAdminUrl()

  it.skipIf(!admin)('counts a MySQL connection killed inside a transaction, and the rollback on it afterwards, as down', async () => {
    const victim = await createConnection({ uri: admin! })
    const killer = await createConnection({ uri: admin! })
    try {
      await victim.beginTransaction()
      await killer.query(`KILL ${victim.threadId}`)
      const lost = await thrownBy(() => victim.query('select 1'))
      // What Kysely's rollback meets: "Can't add new command when connection is in closed state",
      // fatal but with no code.
      const rollback = await thrownBy(() => victim.query('rollback'))
      expect((rollback as { code?: string }).code).toBeUndefined()
      expect(isDatabaseDown(lost)).toBe(true)
      expect(isDatabaseDown(rollback)).toBe(true)
    } finally {
      await killer.end()
    }
  })

  it.skipIf(!admin)('does not count a MySQL syntax error or a duplicate key as down', async () => {
    const conn = await createConnection({ uri: admin! })
    try {
      expect(isDatabaseDown(await thrownBy(() => conn.query('selec 1')))).toBe(false)
      await conn.query('create temporary table t (id int primary key)')
      await conn.query('insert into t values (1)')
      expect(isDatabaseDown(await thrownBy(() => conn.query('insert into t values (1)')))).toBe(false)
    } finally {
      await conn.end()
    }
  })

  it('counts SQLITE_BUSY_SNAPSHOT (another process wrote since this transaction read) as down', async () => {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3')
    const dir = mkdtempSync(join(tmpdir(), 'qsm-busy-'))
    const a = new Driver(join(dir, 'x.db'))
    const b = new Driver(join(dir, 'x.db'))
    try {
      a.pragma('journal_mode = WAL')
      a.exec('create table t (n integer)')
      a.exec('begin')
      a.prepare('select count(*) from t').get()
      b.exec('insert into t values (1)')
      const err = await thrownBy(() => a.exec('insert into t values (2)'))
      expect((err as { code?: string }).code).toBe('SQLITE_BUSY_SNAPSHOT')
      expect(isDatabaseDown(err)).toBe(true)
      expect(isDatabaseDown(await thrownBy(() => b.exec('selec 1')))).toBe(false)
    } finally {
      a.close()
      b.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
