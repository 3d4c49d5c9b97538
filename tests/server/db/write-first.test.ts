// writeTransaction on SQLite: another process holding the write lock makes it wait, and the wait
// leaves the event loop free (better-sqlite3 is synchronous; a busy_timeout wait would freeze it).
import { describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { sql } from 'kysely'
import { useTestDb } from '../../helpers/db.js'
import { writeTransaction } from '../../../server/db/write-first.js'

describe('sqlite: writeTransaction', () => {
  const t = useTestDb('sqlite')

  it('waits for a write lock held elsewhere without stalling the event loop, then commits', async () => {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3')
    // A second connection to the same file stands for another process (a cron tick, a worker).
    const other = new Driver(t.url.slice('sqlite:'.length))
    try {
      other.exec('begin immediate')
      setTimeout(() => other.exec('commit'), 400)
      let longestGap = 0
      let last = performance.now()
      const beat = setInterval(() => {
        const now = performance.now()
        longestGap = Math.max(longestGap, now - last)
        last = now
      }, 5)
      const started = performance.now()
      const seen = await writeTransaction(t.db, async (trx) => (await trx.selectFrom('deliveries').select('id').execute()).length)
      const waited = performance.now() - started
      clearInterval(beat)
      expect(seen).toBe(0)
      expect(waited).toBeGreaterThanOrEqual(350)
      expect(longestGap).toBeLessThan(150)
      // The connection's own busy_timeout is back as it was, for every other statement.
      expect((await sql<{ timeout: number }>`pragma busy_timeout`.execute(t.db.db)).rows).toEqual([{ timeout: 5000 }])
    } finally {
      other.close()
    }
  })

  it('does not retry an error of the work itself', async () => {
    let runs = 0
    await expect(writeTransaction(t.db, async () => {
      runs += 1
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    })).rejects.toThrow('database is locked')
    expect(runs).toBe(1)
  })
})
