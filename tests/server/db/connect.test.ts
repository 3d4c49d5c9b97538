// Opening the SQLite file: the settings every connection of the service gets.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { connect, type Db } from '../../../server/db/connect.js'

describe('sqlite: connect', () => {
  let dir = ''
  let db: Db | null = null
  afterEach(async () => {
    await db?.close()
    db = null
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it("keeps SQLite's page cache at 2 MB, not the 16 MB better-sqlite3 builds in", async () => {
    dir = mkdtempSync(join(tmpdir(), 'qsm-connect-'))
    db = await connect(`sqlite:${join(dir, 'qsm.sqlite')}`)
    const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(db.db)
    expect(rows[0]?.cache_size).toBe(-2000)
    const { rows: mode } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.db)
    expect(mode[0]?.journal_mode).toBe('wal')
  })
})
