import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { runDue } from '../../../server/delivery/runner.js'
import { seedPair } from '../../helpers/seed.js'
import { waitUntil } from '../../helpers/wait.js'
import { harness } from './helpers.js'

for (const dialect of dialects()) {
  describe(`${dialect}: the delivery loop's wake-ups`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => { receiver.received.length = 0 })

    it('claims a woken delivery at once when the wake came while the loop was busy, not after its wait runs out', async () => {
      // A pass kept alive by one hanging request, idle after an empty claim: the ingest path then
      // signals new rows (a wake and a poke of the limiter) while the loop is between its checks
      // and its wait. That poke found no one waiting; before, the loop then slept out its full wait
      // (1 s) with the new delivery due (noisy-neighbour bench: a victim's delivery ~1 s late).
      const h = harness(t.db, { QSM_DELIVERY_TIMEOUT_MS: '2s' })
      const hanging = await h.endpoint('attacker', `${receiver.url}/hang`)
      const victim = await h.endpoint('victim', `${receiver.url}/ok`)
      receiver.queue({ hang: true })
      await seedPair(t.db, { userId: 'attacker', endpointId: hanging.id, at: h.clock.now() })
      // Due only once the clock is moved on, at the moment of the wake.
      const later = await seedPair(t.db, { userId: 'victim', endpointId: victim.id, at: h.clock.now() + 5_000 })

      let woken = false
      let wokeAt = 0
      let stop = false
      let hangingSince = 0
      // The wake lands in a microtask queued at the top of a turn: it runs at the turn's first
      // await (startReady), while the loop is busy and nothing waits on the limiter.
      const wake = () => {
        h.clock.advance(5_000)
        woken = true
        h.deps.limiter.poke()
        wokeAt = Date.now()
      }
      const pass = runDue(h.deps, {
        owner: 'test-runner', budgetMs: 10_000, stopWhenEmpty: true, idlePollMs: 5_000, shouldStop: () => stop,
        takeWake: () => {
          // Only once the hanging request is out and a claim since has found nothing more.
          if (!wokeAt && hangingSince > 0 && Date.now() - hangingSince > 300) queueMicrotask(wake)
          const w = woken
          woken = false
          return w
        },
      })
      await receiver.waitFor(1, 5_000)
      hangingSince = Date.now()

      await waitUntil(() => receiver.received.some((r) => r.path === '/ok'), 5_000, "the victim's delivery", 10)
      stop = true
      await pass
      const got = receiver.received.find((r) => r.path === '/ok')
      expect(got!.headers['webhook-id']).toBe(later.eventId)
      const lateBy = got!.at - wokeAt
      console.log(`woken delivery sent ${lateBy} ms after the wake (${dialect})`)
      expect(lateBy).toBeLessThan(300)
    })

    it('claims again at once when a wake came while a claim was in flight and that claim found nothing', async () => {
      // The claim read the rows due at its start; a row that fell due (or was committed) after that
      // is not in its answer. Before, the empty answer marked the loop idle and the woken row waited
      // for the next poll (here 1 s); the wake taken during the claim now keeps it from idling.
      const h = harness(t.db, { QSM_DELIVERY_TIMEOUT_MS: '2s' })
      const hanging = await h.endpoint('attacker', `${receiver.url}/hang`)
      const victim = await h.endpoint('victim', `${receiver.url}/ok`)
      receiver.queue({ hang: true })
      await seedPair(t.db, { userId: 'attacker', endpointId: hanging.id, at: h.clock.now() })
      const later = await seedPair(t.db, { userId: 'victim', endpointId: victim.id, at: h.clock.now() + 5_000 })

      let woken = false
      let wokeAt = 0
      let stop = false
      let hangingSince = 0
      // The wake lands right after a claim has taken its time (clock.now() called from claimAhead):
      // a microtask, so it runs at the claim's first await, with the claim in flight.
      const clock = {
        now: () => {
          const now = h.clock.now()
          if (!wokeAt && hangingSince > 0 && Date.now() - hangingSince > 300 && new Error().stack!.includes('claimAhead')) {
            wokeAt = -1
            queueMicrotask(() => {
              h.clock.advance(5_000)
              woken = true
              h.deps.limiter.poke()
              wokeAt = Date.now()
            })
          }
          return now
        },
      }
      // A loop that polls (as a worker does): a claim every idlePollMs while nothing is found.
      const pass = runDue({ ...h.deps, clock }, {
        owner: 'test-runner', budgetMs: 10_000, stopWhenEmpty: false, idlePollMs: 1_000, shouldStop: () => stop,
        takeWake: () => { const w = woken; woken = false; return w },
      })
      await receiver.waitFor(1, 5_000)
      hangingSince = Date.now()

      await waitUntil(() => receiver.received.some((r) => r.path === '/ok'), 5_000, "the victim's delivery", 10)
      stop = true
      await pass
      const got = receiver.received.find((r) => r.path === '/ok')
      expect(got!.headers['webhook-id']).toBe(later.eventId)
      const lateBy = got!.at - wokeAt
      console.log(`delivery woken during an empty claim sent ${lateBy} ms after the wake (${dialect})`)
      expect(wokeAt).toBeGreaterThan(0)
      expect(lateBy).toBeLessThan(300)
    })
  })
}
