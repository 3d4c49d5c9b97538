// SQLite is meant for one process, but a cron `tick` (or a second worker) may run beside the
// server on the same file. Claims and acks must then wait for the write lock, not fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestDb } from '../helpers/db.js'
import { countingReceiver } from '../server/delivery/helpers.js'
import { seedQueue, startWorker, waitUntil, countSucceeded } from './support.js'
import { workerReady } from '../reliability/workers.js'

describe('sqlite: two worker processes on one database file', () => {
  const t = useTestDb('sqlite')
  let receiver: Awaited<ReturnType<typeof countingReceiver>>
  beforeAll(async () => { receiver = await countingReceiver(2) })
  afterAll(async () => { await receiver.close() })

  it('deliver every pair exactly once, and neither reports a database error', async () => {
    // Both running before there is anything to claim: otherwise one could drain the queue while
    // the other is still loading, and the test would not be about two processes at all (and a
    // SIGTERM before a worker's handler is in place ends it by the signal, not with 0).
    const two = [startWorker(t.url, {}), startWorker(t.url, {})]
    let pairs: string[] = []
    try {
      await Promise.all(two.map((w) => workerReady(w)))
      pairs = await seedQueue(t.db, { receiverUrl: receiver.url, users: 3, endpointsEach: 2, eventsEach: 50, now: Date.now() })
      await waitUntil(async () => (await countSucceeded(t.db)) === pairs.length, 40_000, `all ${pairs.length} deliveries`)
    } catch (err) {
      throw new Error(`${(err as Error).message}; received ${receiver.stats.count}; worker output:\n${two.map((w) => w.output()).join('\n')}`)
    } finally {
      for (const w of two) w.child.kill('SIGTERM')
    }
    expect(await Promise.all(two.map((w) => w.exited))).toEqual([0, 0])
    for (const w of two) expect(w.output()).not.toMatch(/could not|SQLITE_BUSY|locked/i)
    expect(receiver.stats.count).toBe(pairs.length)
    expect(new Set(receiver.stats.keys)).toEqual(new Set(pairs))
    expect(receiver.stats.maxSameDelivery).toBe(1)
  }, 60_000)
})
