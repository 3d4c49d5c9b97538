// A hostile tenant with 20 endpoints that never answer, a backlog of 60 deliveries and a replayed
// batch of old failures must not delay another user's delivery: with the default limits (4 in
// flight per process, 2 per user, 1 per endpoint) and the default 10 s timeout, the victim's event
// reaches its receiver within 1 s, several times over while the attacker's sends hang.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { seedDelivery, seedEvent } from '../helpers/seed.js'
import { startScheduler } from '../../server/delivery/scheduler.js'
import { endpoints, ingest, sleep, tenantReceiver } from './support.js'

for (const dialect of dialects()) {
  describe(`${dialect}: one user's hanging endpoints`, () => {
    const t = useTestDb(dialect)
    let receiver: Awaited<ReturnType<typeof tenantReceiver>>
    beforeEach(async () => { receiver = await tenantReceiver() })
    afterEach(async () => { await receiver.close() })

    it('do not delay another user: each of their events arrives within 1 s, at the default limits and timeout', async () => {
      const app = makeTestApp(t.db)
      expect([app.deps.config.concurrency, app.deps.config.userConcurrency, app.deps.config.deliveryTimeoutMs]).toEqual([4, 2, 10_000])
      const hostile = await endpoints(app, 'attacker', Array.from({ length: 20 }, (_, i) => `${receiver.url}/hang-${i}`))
      const [victimEp] = await endpoints(app, 'victim', [`${receiver.url}/victim`])
      // A backlog of old failures (and failed test sends) on the attacker's first endpoint, replayed.
      const longAgo = app.clock.now() - 3_600_000
      for (let i = 0; i < 16; i++) {
        const type = i % 2 ? 'webhook.test' : 'email.failed'
        const eventId = await seedEvent(t.db, { userId: 'attacker', type, at: longAgo + i })
        await seedDelivery(t.db, { userId: 'attacker', endpointId: hostile[0]!, eventId, eventType: type, status: 'failed', at: longAgo + i })
      }
      const replay = await app.call('attacker', 'POST', '/v1/deliveries/replay', { endpoint_id: hostile[0], since: new Date(longAgo - 1000).toISOString() })
      expect(replay.json.replayed).toBe(8) // the failed tests are not replayed

      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 1_000 })
      try {
        for (let i = 0; i < 3; i++) await ingest(app, 'attacker') // 60 deliveries to endpoints that hang
        await receiver.waitFor((a) => a.path.startsWith('/hang'), 3_000)
        const lateness: number[] = []
        for (let i = 0; i < 4; i++) {
          await sleep(i === 0 ? 300 : 1_500)
          const event = await ingest(app, 'victim')
          const got = await receiver.waitFor((a) => a.path === '/victim' && a.body.includes(event.id), 5_000)
          lateness.push(got.at - event.at)
        }
        console.log(`victim's deliveries arrived ${lateness.join(', ')} ms after their events (${dialect})`)
        expect(Math.max(...lateness)).toBeLessThan(1_000)
        // The attacker never had more than its 2 slots, one per endpoint.
        expect(receiver.maxInFlight.get('hang')).toBeLessThanOrEqual(2)
        expect(victimEp).toBeTruthy()
      } finally {
        receiver.hangUp()
        await app.deps.dispatcher.stop()
      }
    }, 30_000)

    it('do not halve what everyone else gets sent: after half a second their two hanging requests stop holding global slots', async () => {
      const app = makeTestApp(t.db)
      await endpoints(app, 'attacker', [`${receiver.url}/hang-1`, `${receiver.url}/hang-2`])
      // Two users whose receivers take 400 ms, two endpoints each: 4 deliveries that may all run at
      // once (2 per user, 1 per endpoint) if the 4 global slots are theirs.
      for (const u of ['victim-a', 'victim-b']) await endpoints(app, u, [`${receiver.url}/slow-400-${u}-1`, `${receiver.url}/slow-400-${u}-2`])
      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 1_000 })
      try {
        await ingest(app, 'attacker')
        await receiver.waitFor((a) => a.path === '/hang-2', 3_000)
        await sleep(700)
        const events = [await ingest(app, 'victim-a'), await ingest(app, 'victim-b')]
        const got = await Promise.all(events.flatMap((e) => [1, 2].map(() => e)).map((e, i) =>
          receiver.waitFor((a) => a.path.startsWith('/slow') && a.eventId === e.id && a.path.endsWith(`-${(i % 2) + 1}`), 5_000)))
        const spread = Math.max(...got.map((a) => a.at)) - Math.min(...got.map((a) => a.at))
        console.log(`victims' 4 requests reached their receivers within ${spread} ms of each other, ${receiver.maxInFlight.get('slow')} at once (${dialect})`)
        // All four at once, beside the attacker's two: not two, then two more 400 ms later.
        expect(receiver.maxInFlight.get('slow')).toBe(4)
        expect(spread).toBeLessThan(300)
        expect(receiver.maxInFlight.get('hang')).toBe(2)
        expect(app.deps.limiter.userBusy('attacker')).toBe(2)
      } finally {
        receiver.hangUp()
        await app.deps.dispatcher.stop()
      }
    }, 30_000)
  })
}
