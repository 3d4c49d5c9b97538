// Fresh databases for each run (an SQLite file in a temp dir, or a `qsm_bench_<rand>` MariaDB
// database dropped afterwards), migrated with the service's own migrations so every baseline and
// service run uses the same tables and indexes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'mysql2/promise'
import { connect } from '../../server/db/connect.js'
import { migrateToLatest } from '../../server/db/migrate.js'

export type Dialect = 'sqlite' | 'mysql'
export const MYSQL_ADMIN = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

export interface BenchDb {
  dialect: Dialect
  url: string
  /** The directory for this run's scratch files (SQLite file, dumps). */
  dir: string
  drop(): Promise<void>
}

export async function freshDatabase(dialect: Dialect): Promise<BenchDb> {
  const dir = mkdtempSync(join(tmpdir(), 'qsm-bench-'))
  let url: string
  let dropDb = async () => {}
  if (dialect === 'sqlite') url = `sqlite:${join(dir, 'bench.db')}`
  else {
    const name = `qsm_bench_${randomBytes(4).toString('hex')}`
    const conn = await createConnection({ uri: MYSQL_ADMIN })
    await conn.query(`CREATE DATABASE \`${name}\``)
    await conn.end()
    url = MYSQL_ADMIN.replace(/\/[^/?]*(\?|$)/, `/${name}$1`)
    dropDb = async () => {
      const c = await createConnection({ uri: MYSQL_ADMIN })
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await c.end()
    }
  }
  const db = await connect(url)
  await migrateToLatest(db)
  await db.close()
  return {
    dialect,
    url,
    dir,
    drop: async () => {
      await dropDb().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function mysqlAvailable(): Promise<string | null> {
  try {
    const c = await createConnection({ uri: MYSQL_ADMIN, connectTimeout: 2000 })
    const [rows] = await c.query('select version() as v')
    await c.end()
    return (rows as { v: string }[])[0]!.v
  } catch {
    return null
  }
}
