// Worker processes against one MariaDB: several draining one queue, and one killed mid-delivery.
// MySQL only: SQLite is meant for a single process (one writer at a time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { countingReceiver } from '../server/delivery/helpers.js'
import { countSucceeded, seedQueue, startWorker, waitUntil, type Worker } from './support.js'
import { workerReady } from '../reliability/workers.js'

describe.runIf(dialects().includes('mysql'))('mysql: worker processes', () => {
  const t = useTestDb('mysql')
  let receiver: Awaited<ReturnType<typeof countingReceiver>>
  const workers: Worker[] = []
  beforeAll(async () => { receiver = await countingReceiver(5) })
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    await receiver.close()
  })

  it('four workers drain one queue: every pair delivered once, never twice at the same time', async () => {
    const four = [0, 1, 2, 3].map(() => startWorker(t.url, {}))
    workers.push(...four)
    // All four running before there is anything to claim (a worker still loading when the queue
    // is drained would take no part, and a SIGTERM before its handler ends it by the signal).
    await Promise.all(four.map((w) => workerReady(w)))
    const pairs = await seedQueue(t.db, { receiverUrl: receiver.url, users: 4, endpointsEach: 3, eventsEach: 100, now: Date.now() })
    expect(pairs).toHaveLength(1200)
    const started = Date.now()
    await waitUntil(async () => (await countSucceeded(t.db)) === 1200, 40_000, 'all 1200 deliveries')
    const drainMs = Date.now() - started
    for (const w of four) w.child.kill('SIGTERM')
    expect(await Promise.all(four.map((w) => w.exited))).toEqual([0, 0, 0, 0])
    for (const w of four) expect(w.output()).toMatch(/stopped: \d+ claimed/)
    const claimedBy = four.map((w) => Number(/stopped: (\d+) claimed/.exec(w.output())![1]))
    // A claimed row a worker could not start soon is given back (fair scheduling) and claimed
    // again, by it or another: claims less what was given back is one per pair.
    const givenBack = four.map((w) => Number(/(\d+) given back/.exec(w.output())![1]))
    expect(claimedBy.reduce((a, b) => a + b, 0) - givenBack.reduce((a, b) => a + b, 0)).toBe(1200)
    expect(claimedBy.filter((n) => n > 0).length).toBeGreaterThan(1)
    expect(receiver.stats.maxSameDelivery).toBe(1)
    expect(new Set(receiver.stats.keys)).toEqual(new Set(pairs))
    expect(receiver.stats.count).toBe(1200)
    const attempts = await t.db.db.selectFrom('delivery_attempts').select('delivery_id').execute()
    expect(attempts).toHaveLength(1200)
    console.log(`four running workers delivered 1200 in ${drainMs} ms; claims per worker ${claimedBy.join(', ')}`)
  }, 60_000)

  it("a worker killed mid-delivery leaves its claims to another worker once the lease runs out", async () => {
    const slow = await countingReceiver(1000)
    try {
      const env = { QSM_LEASE_MS: '4000', QSM_DELIVERY_TIMEOUT_MS: '2s' }
      const pairs = await seedQueue(t.db, { receiverUrl: slow.url, users: 1, endpointsEach: 1, eventsEach: 20, now: Date.now() })
      const doomed = startWorker(t.url, env)
      workers.push(doomed)
      await waitUntil(async () => slow.stats.count >= 8, 20_000, 'the first sends')
      doomed.child.kill('SIGKILL')
      const killedAt = Date.now()
      await doomed.exited
      const inFlightWhenKilled = new Set(slow.stats.arrivals.map((a) => a.key))
      const rescuer = startWorker(t.url, env)
      workers.push(rescuer)
      await waitUntil(async () => (await countSucceeded(t.db)) === 20, 30_000, 'all 20 deliveries')
      rescuer.child.kill('SIGTERM')
      expect(await rescuer.exited).toBe(0)
      expect(new Set(slow.stats.keys)).toEqual(new Set(pairs))
      // The killed worker's sends came again, with the same idempotency key, only after its lease.
      const firstAt = new Map<string, number>()
      for (const a of slow.stats.arrivals) {
        const first = firstAt.get(a.key)
        if (first === undefined) { firstAt.set(a.key, a.at); continue }
        expect(inFlightWhenKilled.has(a.key)).toBe(true)
        expect(a.at - first).toBeGreaterThanOrEqual(3000)
      }
      expect(slow.stats.count).toBe(20 + inFlightWhenKilled.size)
      expect(slow.stats.maxSameDelivery).toBe(1)
      const rows = await t.db.db.selectFrom('deliveries').select(['attempts', 'lease_owner']).execute()
      expect(rows.every((r) => Number(r.attempts) === 1 && r.lease_owner === null)).toBe(true)
      console.log(`killed worker had ${inFlightWhenKilled.size} sends in flight; all 20 delivered ${Date.now() - killedAt} ms after the kill`)
    } finally {
      await slow.close()
    }
  }, 60_000)
})
