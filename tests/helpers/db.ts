// A fresh, migrated database per test file (its own MySQL schema or SQLite file), emptied before
// each test, dropped after the file.
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'mysql2/promise'
import { connect, type Db } from '../../server/db/connect.js'
import { migrateToLatest } from '../../server/db/migrate.js'
import { mysqlAdminUrl, type DialectName } from './dialects.js'

export interface TestDb {
  /** Valid inside tests (after beforeAll). */
  readonly db: Db
  /** The QSM_DATABASE_URL for this database, for child processes (workers, CLI). */
  readonly url: string
}

export async function createTestDatabase(dialect: DialectName): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'qsm-test-'))
    return { url: `sqlite:${join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const admin = mysqlAdminUrl()
  if (!admin) throw new Error('MySQL tests requested but no MySQL is available')
  const name = `qsm_t_${randomBytes(5).toString('hex')}`
  const conn = await createConnection({ uri: admin })
  await conn.query(`CREATE DATABASE \`${name}\``)
  await conn.end()
  const url = admin.replace(/\/[^/?]*(\?|$)/, `/${name}$1`)
  return {
    url,
    drop: async () => {
      const c = await createConnection({ uri: admin })
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await c.end()
    },
  }
}

export const ALL_TABLES = ['delivery_attempts', 'deliveries', 'events', 'endpoints', 'idempotency_keys'] as const

export async function clearTables(db: Db): Promise<void> {
  for (const table of ALL_TABLES) await db.db.deleteFrom(table).execute()
}

export function useTestDb(dialect: DialectName): TestDb {
  let current: Db | undefined
  let url = ''
  let drop: (() => Promise<void>) | undefined
  beforeAll(async () => {
    const created = await createTestDatabase(dialect)
    url = created.url
    drop = created.drop
    current = await connect(url)
    await migrateToLatest(current)
  })
  beforeEach(async () => {
    if (current) await clearTables(current)
  })
  afterAll(async () => {
    await current?.close()
    await drop?.()
  })
  return {
    get db() {
      if (!current) throw new Error('test database is not open yet')
      return current
    },
    get url() {
      return url
    },
  }
}
