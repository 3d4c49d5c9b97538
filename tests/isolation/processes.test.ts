// The starvation attack again, with the deliveries sent by several processes on one database:
// two `worker` processes and a /tick in the web process, each with the default limits (4 in
// flight, 2 per user, 1 per endpoint, 10 s timeout). The caps are per process, so the attacker may
// hang two requests in each of them, but never more, and every process keeps slots for everyone
// else: the victim's events still arrive within 1 s.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { seedDelivery, seedEvent } from '../helpers/seed.js'
import { startWorker, workerReady, type WorkerProc } from '../reliability/workers.js'
import { endpoints, ingest, sleep, tenantReceiver } from './support.js'

const PROCESSES = 3 // two workers and the web process running /tick

for (const dialect of dialects()) {
  describe(`${dialect}: one user's hanging endpoints, with two workers and a /tick on one database`, () => {
    const t = useTestDb(dialect)
    let receiver: Awaited<ReturnType<typeof tenantReceiver>>
    let workers: WorkerProc[] = []
    beforeEach(async () => { receiver = await tenantReceiver() })
    afterEach(async () => {
      receiver.hangUp()
      await Promise.all(workers.map((w) => w.stop('SIGKILL')))
      workers = []
      await receiver.close()
    })

    it('do not delay another user: each of their events arrives within 1 s, and the attacker has at most 2 requests in flight per process', async () => {
      // No delivery loop in this process: its ingest writes due rows, and only the workers and
      // the /tick below send them.
      const app = makeTestApp(t.db)
      expect([app.deps.config.concurrency, app.deps.config.userConcurrency, app.deps.config.deliveryTimeoutMs]).toEqual([4, 2, 10_000])
      const hostile = await endpoints(app, 'attacker', Array.from({ length: 20 }, (_, i) => `${receiver.url}/hang-${i}`))
      await endpoints(app, 'victim', [`${receiver.url}/victim`])
      const longAgo = app.clock.now() - 3_600_000
      for (let i = 0; i < 8; i++) {
        const eventId = await seedEvent(t.db, { userId: 'attacker', at: longAgo + i })
        await seedDelivery(t.db, { userId: 'attacker', endpointId: hostile[i % 4]!, eventId, status: 'failed', at: longAgo + i })
      }
      expect((await app.call('attacker', 'POST', '/v1/deliveries/replay', { since: new Date(longAgo - 1000).toISOString() })).json.replayed).toBe(8)

      workers = [startWorker(t.url), startWorker(t.url)]
      await Promise.all(workers.map((w) => workerReady(w)))
      for (let i = 0; i < 3; i++) await ingest(app, 'attacker') // 60 more deliveries to endpoints that hang
      // A /tick in this process while the workers run: it takes its share of the attacker's rows
      // too, and answers only once its own hanging requests time out (or are hung up).
      const tick = app.app.request(`/tick?token=${TEST_SECRETS.QSM_CRON_TOKEN}`)
      await receiver.waitFor((a) => a.path.startsWith('/hang'), 5_000)
      await sleep(500)

      const lateness: number[] = []
      for (let i = 0; i < 4; i++) {
        const event = await ingest(app, 'victim')
        const got = await receiver.waitFor((a) => a.path === '/victim' && a.eventId === event.id, 5_000)
        lateness.push(got.at - event.at)
        await sleep(1_000)
      }
      const hangs = receiver.maxInFlight.get('hang') ?? 0
      console.log(`victim's deliveries arrived ${lateness.join(', ')} ms after their events; the attacker had at most ${hangs} requests in flight (${dialect})`)
      expect(Math.max(...lateness)).toBeLessThan(1_000)
      // Every process took part (more than one process's cap), none beyond its own cap of 2.
      expect(hangs).toBeGreaterThan(2)
      expect(hangs).toBeLessThanOrEqual(2 * PROCESSES)

      // Refuse from now on (a hung-up request would only be followed by the next hanging one), so
      // the tick and the workers finish what they hold at once.
      await receiver.close()
      expect((await tick).status).toBe(200)
      for (const w of workers) expect(await w.stop('SIGTERM')).toBe(0)
    }, 60_000)
  })
}
