// The WAL flush behind durable SQLite writes (server/db/sqlite-wal-sync.ts): a real file, real fsyncs.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type Db } from '../../../server/db/connect.js'
import { migrateToLatest } from '../../../server/db/migrate.js'
import { walSync } from '../../../server/db/sqlite-wal-sync.js'
import { writeTransaction } from '../../../server/db/write-first.js'

/** Counts fsyncs of any FileHandle while `work` runs (FileHandle.prototype.sync, put back after). */
async function countingSyncs<T>(work: () => Promise<T>): Promise<{ result: T; syncs: number }> {
  const probe = await open(__filename, 'r')
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> }
  await probe.close()
  const original = proto.sync
  let syncs = 0
  proto.sync = function (this: unknown) { syncs += 1; return original.call(this) }
  try {
    return { result: await work(), syncs }
  } finally {
    proto.sync = original
  }
}

describe('sqlite: the WAL flush', () => {
  let dir = ''
  let db: Db | null = null
  afterEach(async () => {
    await db?.close()
    db = null
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const openDb = async () => {
    dir = mkdtempSync(join(tmpdir(), 'qsm-wal-'))
    db = await connect(`sqlite:${join(dir, 'qsm.sqlite')}`)
    await migrateToLatest(db)
    return db
  }

  it('has nothing to flush for a database in memory', () => {
    expect(walSync(':memory:')).toBeNull()
  })

  it('lets 40 writers that commit together share a few fsyncs, and every one of them is stored', async () => {
    const d = await openDb()
    expect(d.flushLog).toBeTypeOf('function')
    const { syncs } = await countingSyncs(() => Promise.all(Array.from({ length: 40 }, (_, i) =>
      writeTransaction(d, (trx) => trx.insertInto('events').values({ id: `evt_${i}`, user_id: 'u1', type: 'email.received', schema_version: 1, occurred_at: 0, payload: '{}', received_at: 0 }).execute()))))
    // One transaction at a time (one writer), each flushing after its commit: the fsync running
    // when a commit ends cannot cover it, so it waits for the next, which all those behind it share.
    expect(syncs).toBeGreaterThanOrEqual(1)
    expect(syncs).toBeLessThan(20)
    const rows = await d.db.selectFrom('events').select('id').execute()
    expect(rows).toHaveLength(40)
  })

  it('reports a WAL it cannot open instead of answering stored', async () => {
    const sync = walSync(join(tmpdir(), 'qsm-no-such-folder', 'qsm.sqlite'))!
    await expect(sync.flush()).rejects.toThrow(/ENOENT/)
    await sync.close()
  })
})
