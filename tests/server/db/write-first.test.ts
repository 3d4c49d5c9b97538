// writeTransaction on SQLite: another process holding the write lock makes it wait, and the wait
// leaves the event loop free (better-sqlite3 is synchronous; a busy_timeout wait would freeze it).
import { describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { sql } from 'kysely'
import { useTestDb } from '../../helpers/db.js'
import { writeTransaction } from '../../../server/db/write-first.js'
import { makeTestApp } from '../../helpers/app.js'
import { purgeExpired } from '../../../server/delivery/purge.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'

// A wait that blocked the event loop would stall it for the whole hold (600-800 ms below); a busy
// 2-core CI machine running two test files can delay one beat by a few hundred ms on its own.
const STALL_LIMIT_MS = 400

/** A 5 ms heartbeat; stop() returns the longest gap between beats, i.e. the longest stall. */
function watchEventLoop(): { stop(): number } {
  let longestGap = 0
  let last = performance.now()
  const beat = setInterval(() => {
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
  }, 5)
  return {
    stop() {
      clearInterval(beat)
      return longestGap
    },
  }
}

describe('sqlite: writeTransaction', () => {
  const t = useTestDb('sqlite')

  it('waits for a write lock held elsewhere without stalling the event loop, then commits', async () => {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3')
    // A second connection to the same file stands for another process (a cron tick, a worker).
    const other = new Driver(t.url.slice('sqlite:'.length))
    try {
      other.exec('begin immediate')
      setTimeout(() => other.exec('commit'), 800)
      const loop = watchEventLoop()
      const started = performance.now()
      const seen = await writeTransaction(t.db, async (trx) => (await trx.selectFrom('deliveries').select('id').execute()).length)
      const waited = performance.now() - started
      const longestGap = loop.stop()
      expect(seen).toBe(0)
      expect(waited).toBeGreaterThanOrEqual(750)
      expect(longestGap).toBeLessThan(STALL_LIMIT_MS)
      // The connection's own busy_timeout is back as it was, for every other statement.
      expect((await sql<{ timeout: number }>`pragma busy_timeout`.execute(t.db.db)).rows).toEqual([{ timeout: 5000 }])
    } finally {
      other.close()
    }
  })

  it('lets redelivery, endpoint edits, deletes, test sends and the purge wait for the lock without stalling the server', async () => {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3')
    const { call, deps } = makeTestApp(t.db)
    const ep = await seedEndpoint(t.db, { userId: 'u1' })
    const spare = await seedEndpoint(t.db, { userId: 'u1' })
    const { deliveryId } = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed' })
    const other = new Driver(t.url.slice('sqlite:'.length))
    try {
      for (const action of [
        () => call('u1', 'POST', `/v1/deliveries/${deliveryId}/retry`),
        () => call('u1', 'POST', '/v1/deliveries/replay', { endpoint_id: ep, since: '2000-01-01T00:00:00Z' }),
        () => call('u1', 'PATCH', `/v1/webhooks/${ep}`, { description: 'Renamed while locked' }),
        () => call('u1', 'POST', `/v1/webhooks/${ep}/rotate-secret`),
        () => call('u1', 'POST', `/v1/webhooks/${ep}/test`),
        () => call('u1', 'DELETE', `/v1/webhooks/${spare}`),
      ]) {
        other.exec('begin immediate')
        setTimeout(() => other.exec('commit'), 600)
        const loop = watchEventLoop()
        const res = await action()
        const longestGap = loop.stop()
        expect(res.status, JSON.stringify(res.json)).toBeLessThan(300)
        expect(longestGap).toBeLessThan(STALL_LIMIT_MS)
      }
      await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'succeeded', at: Date.now() - 40 * 86_400_000 })
      other.exec('begin immediate')
      setTimeout(() => other.exec('commit'), 300)
      const started = performance.now()
      const purged = await purgeExpired(t.db, deps.config, Date.now())
      expect(purged.deliveries_purged).toBe(1)
      expect(performance.now() - started).toBeGreaterThanOrEqual(250)
    } finally {
      if (other.inTransaction) other.exec('commit')
      other.close()
    }
    const row = await t.db.db.selectFrom('endpoints').select('description').where('id', '=', ep).executeTakeFirstOrThrow()
    expect(row.description).toBe('Renamed while locked')
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

describe('sqlite: how durable a write transaction is', () => {
  const t = useTestDb('sqlite')
  const level = async (q: Parameters<Parameters<typeof writeTransaction>[1]>[0] | typeof t.db.db) =>
    Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(q)).rows[0]!.synchronous)

  it('commits a durable write without an fsync on the event loop, and returns only once the WAL is flushed', async () => {
    let flushes = 0
    let release!: () => void
    const gate = new Promise<void>((r) => { release = r })
    const db = { ...t.db, flushLog: async () => { flushes += 1; await gate } }
    let done = false
    const write = writeTransaction(db, (trx) => level(trx)).then((v) => { done = true; return v })
    await new Promise((r) => setTimeout(r, 50))
    // Committed (NORMAL: no fsync inside the commit), but not returned while the flush is pending.
    expect(done).toBe(false)
    expect(flushes).toBe(1)
    release()
    expect(await write).toBe(1)
    expect(await level(t.db.db)).toBe(2)
  })

  it('fails a durable write whose flush fails, so nobody is told it is stored', async () => {
    const db = { ...t.db, flushLog: async () => { throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }) } }
    await expect(writeTransaction(db, async () => 'stored')).rejects.toThrow('EIO')
  })

  it('keeps the fsync in the commit (FULL) where no asynchronous flush exists', async () => {
    const { flushLog: _none, ...db } = t.db
    expect(await writeTransaction(db, (trx) => level(trx))).toBe(2)
  })

  it('commits delivery bookkeeping without one (NORMAL) and puts FULL back for everything after', async () => {
    let flushes = 0
    const db = { ...t.db, flushLog: async () => { flushes += 1 } }
    expect(await writeTransaction(db, (trx) => level(trx), { durable: false })).toBe(1)
    expect(await level(t.db.db)).toBe(2)
    // Also when the work fails.
    await expect(writeTransaction(db, async () => { throw new Error('boom') }, { durable: false })).rejects.toThrow('boom')
    expect(await level(t.db.db)).toBe(2)
    expect(flushes).toBe(0)
  })
})
