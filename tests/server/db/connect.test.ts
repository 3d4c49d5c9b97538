// Opening the database: the settings every SQLite connection of the service gets, and the ways
// to reach MySQL.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { connect } from '../../../server/db/connect.js'
import { mysqlAdminUrl } from '../../helpers/dialects.js'

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

/** Files SQLite holds open now that it has already unlinked (its temporary files: "etilqs_…"). */
function openTempFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      return target.includes('etilqs_') ? [target] : []
    } catch {
      return [] // closed between the listing and the read
    }
  })
}

describe('sqlite: statement journals', () => {
  it.runIf(process.platform === 'linux')('keeps a big statement\'s undo pages in memory, not in a temporary file on disk', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'qsm-connect-'))
    const opened = await connect(`sqlite:${join(folder, 'qsm.sqlite')}`)
    try {
      await sql`create table notes (id integer primary key, body text not null)`.execute(opened.db)
      await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 4000) insert into notes select i, printf('%.200c', 'x') from n`.execute(opened.db)
      const during = await opened.db.transaction().execute(async (trx) => {
        await sql`insert into notes values (0, 'first write of the transaction')`.execute(trx)
        // A second statement that may fail halfway (NOT NULL) and changes every page of the
        // table: SQLite keeps what it overwrote in a statement journal, to undo just this statement.
        await sql`update notes set body = body || 'y'`.execute(trx)
        return openTempFiles()
      })
      expect(during).toEqual([])
      const { rows } = await sql<{ temp_store: number }>`pragma temp_store`.execute(opened.db)
      expect(rows[0]?.temp_store).toBe(2) // MEMORY
    } finally {
      await opened.close()
      rmSync(folder, { recursive: true, force: true })
    }
  })
})

describe('mysql: connect', () => {
  const admin = mysqlAdminUrl()
  // Shared hosts often give MySQL only on a Unix socket (docs/configuration.md, QSM_DATABASE_URL).
  it.skipIf(!admin)('reaches MySQL through its Unix socket when the URL names one', async () => {
    const probe = await connect(admin!)
    const { rows } = await sql<{ socket: string | null }>`select @@socket as socket`.execute(probe.db)
    await probe.close()
    const socket = rows[0]?.socket
    expect(socket, 'the test server has no Unix socket').toBeTruthy()
    const url = new URL(admin!)
    url.hostname = 'localhost'
    url.port = ''
    url.searchParams.set('socketPath', socket!)
    const opened = await connect(url.toString())
    try {
      // TCP connections are listed as host:port; a socket connection as the bare host name.
      const { rows: me } = await sql<{ host: string }>`select host from information_schema.processlist where id = connection_id()`.execute(opened.db)
      expect(me[0]?.host).toBe('localhost')
    } finally {
      await opened.close()
    }
    url.searchParams.set('socketPath', `${socket}.missing`)
    await expect(connect(url.toString())).rejects.toThrow(/Could not connect to MySQL at .*ENOENT/)
  })
})
