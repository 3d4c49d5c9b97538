// Opening the SQLite file: the settings every connection of the service gets.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { connect } from '../../../server/db/connect.js'

describe('sqlite: connect', () => {
  it("keeps SQLite's page cache at 2 MB, not the 16 MB better-sqlite3 builds in", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'qsm-connect-'))
    const opened = await connect(`sqlite:${join(folder, 'qsm.sqlite')}`)
    try {
      const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(opened.db)
      expect(rows[0]?.cache_size).toBe(-2000)
      const { rows: mode } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(opened.db)
      expect(mode[0]?.journal_mode).toBe('wal')
    } finally {
      await opened.close()
      rmSync(folder, { recursive: true, force: true })
    }
  })
})
