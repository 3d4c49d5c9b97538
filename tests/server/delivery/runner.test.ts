import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { runDue, type RunOptions } from '../../../server/delivery/runner.js'
import type { Clock } from '../../../server/clock.js'
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

    /**
     * A pass kept alive by one hanging request, and a victim's delivery that falls due only when
     * the test's wake moves the clock on. The wake does what ingest does for new due rows: sets the
     * flag takeWake reports and pokes the limiter. `run` answers how long after the wake the
     * victim's delivery reached the receiver.
     */
    async function scene() {
      const h = harness(t.db, { QSM_DELIVERY_TIMEOUT_MS: '2s' })
      const hanging = await h.endpoint('attacker', `${receiver.url}/hang`)
      const victim = await h.endpoint('victim', `${receiver.url}/ok`)
      receiver.queue({ hang: true })
      await seedPair(t.db, { userId: 'attacker', endpointId: hanging.id, at: h.clock.now() })
      const later = await seedPair(t.db, { userId: 'victim', endpointId: victim.id, at: h.clock.now() + 5_000 })
      let woken = false
      let wokeAt = 0
      let hangingSince = 0
      const s = {
        h,
        /** True once, at the first call after the hanging request has been out 300 ms (the loop is idle by then). */
        armed: () => {
          if (wokeAt !== 0 || hangingSince === 0 || Date.now() - hangingSince <= 300) return false
          wokeAt = -1 // armed once: the wake about to be queued sets the real time
          return true
        },
        wake: () => {
          h.clock.advance(5_000)
          woken = true
          h.deps.limiter.poke()
          wokeAt = Date.now()
        },
        takeWake: () => { const w = woken; woken = false; return w },
        async run(opts: Pick<RunOptions, 'stopWhenEmpty' | 'idlePollMs' | 'takeWake'>, clock: Clock = h.clock): Promise<number> {
          let stop = false
          const pass = runDue({ ...h.deps, clock }, { owner: 'test-runner', budgetMs: 10_000, shouldStop: () => stop, ...opts })
          await receiver.waitFor(1, 5_000)
          hangingSince = Date.now()
          await waitUntil(() => receiver.received.some((r) => r.path === '/ok'), 5_000, "the victim's delivery", 10)
          stop = true
          await pass
          const got = receiver.received.find((r) => r.path === '/ok')!
          expect(got.headers['webhook-id']).toBe(later.eventId)
          expect(wokeAt).toBeGreaterThan(0)
          return got.at - wokeAt
        },
      }
      return s
    }

    it('claims a woken delivery at once when the wake came while the loop was busy, not after its wait runs out', async () => {
      // The loop is idle after an empty claim; the wake lands in a microtask queued at the top of a
      // turn, so it runs at the turn's first await (startReady), while nothing waits on the limiter.
      // Before, that poke was lost and the loop slept out its full wait (1 s) with the delivery due
      // (noisy-neighbour bench: victims' deliveries ~1 s late, a few times a minute).
      const s = await scene()
      const lateBy = await s.run({
        stopWhenEmpty: true, idlePollMs: 5_000,
        takeWake: () => { if (s.armed()) queueMicrotask(s.wake); return s.takeWake() },
      })
      console.log(`woken delivery sent ${lateBy} ms after the wake (${dialect})`)
      expect(lateBy).toBeLessThan(300)
    })

    it('claims again at once when a wake came while a claim was in flight and that claim found nothing', async () => {
      // The claim read the rows due at its start; a row that fell due (or was committed) after that
      // is not in its answer. Before, the empty answer marked the loop idle and the woken row waited
      // for the next poll (here 1 s, a loop polling as a worker does). The wake lands in a microtask
      // queued when the claim takes its time (clock.now() called from claimAhead), so it runs at the
      // claim's first await, with the claim in flight.
      const s = await scene()
      const clock: Clock = {
        now: () => {
          if (new Error().stack!.includes('claimAhead') && s.armed()) queueMicrotask(s.wake)
          return s.h.clock.now()
        },
      }
      const lateBy = await s.run({ stopWhenEmpty: false, idlePollMs: 1_000, takeWake: s.takeWake }, clock)
      console.log(`delivery woken during an empty claim sent ${lateBy} ms after the wake (${dialect})`)
      expect(lateBy).toBeLessThan(300)
    })
  })
}

for (const dialect of dialects()) {
  describe(`${dialect}: the delivery loop's claims`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver({ status: 200, body: 'ok', delayMs: 20 }) })
    afterAll(async () => { await receiver.close() })

    it('does not claim again while the one endpoint it took rows of is still at its cap', async () => {
      // One endpoint (1 in flight at a time) with a backlog: each claim takes its 4 rounds. Before,
      // the loop claimed again as soon as the first of them started, with the endpoint at its cap,
      // and every other claim found nothing: a claim's statements for nothing, per 4 deliveries.
      let claims = 0
      const counting = {
        ...t.db,
        db: t.db.db.withPlugin({
          transformQuery: ({ node }) => {
            // The fair pick's probes: one statement per claim (server/db/due-heads.ts).
            if (node.kind === 'RawNode' && JSON.stringify(node).includes('order by next_attempt_at, id limit')) claims += 1
            return node
          },
          transformResult: async ({ result }) => result,
        }),
      }
      const h = harness(counting)
      const ep = await h.endpoint('backlogged', `${receiver.url}/slow`)
      for (let i = 0; i < 24; i++) await h.queue('backlogged', ep.id)
      const summary = await h.run()
      expect(summary.succeeded).toBe(24)
      console.log(`24 deliveries to one endpoint took ${claims} claims (${dialect})`)
      // 6 claims of 4, and at most a couple of empty ones at the end of the backlog.
      expect(claims).toBeLessThanOrEqual(8)
    })

    it('leases the round being sent and four rounds behind it, so one claim feeds five sends of a one-at-a-time endpoint', async () => {
      // The default caps: one request at a time per endpoint. Until 5 December (night) the round
      // being sent was one of the four, and a claim leased four rows here.
      const h = harness(t.db)
      const ep = await h.endpoint('backlogged', `${receiver.url}/held`)
      for (let i = 0; i < 12; i++) await h.queue('backlogged', ep.id)
      receiver.queue({ status: 200, body: 'ok', delayMs: 400 })
      const before = receiver.received.length
      const pass = h.run()
      await waitUntil(() => receiver.received.length > before, 5_000, 'the first request', 5)
      const leased = await t.db.db.selectFrom('deliveries').select('id')
        .where('endpoint_id', '=', ep.id).where('status', '=', 'pending').where('lease_owner', '=', 'test-runner').execute()
      expect(leased).toHaveLength(5)
      const summary = await pass
      expect(summary.succeeded).toBe(12)
    })

    it("reads a busy user's next rows while all its slots are still sending, so its backlog never waits for a claim", async () => {
      // One user with one endpoint and 8 slots (as a worker with raised caps), answering in 20 ms.
      // The loop claims again when half a round is left. Before, a user with every slot busy was
      // left out of every claim, so that claim read nothing for it and the next one came only
      // after a send had ended: nothing was in flight while it lasted (MariaDB drain bench: no
      // send in flight in a third of the samples). Now a user is left out only once one of its
      // sends has run LOCAL_WAIT_MS / DEPTH (250 ms).
      let busy = () => false
      const probeWhileBusy = new Map<unknown, boolean>()
      let rowsReadWhileBusy = 0
      const counting = {
        ...t.db,
        db: t.db.db.withPlugin({
          transformQuery: ({ node, queryId }) => {
            if (node.kind === 'RawNode' && JSON.stringify(node).includes('order by next_attempt_at, id limit')) probeWhileBusy.set(queryId, busy())
            return node
          },
          transformResult: async ({ result, queryId }) => {
            if (probeWhileBusy.get(queryId)) rowsReadWhileBusy += result.rows.length
            return result
          },
        }),
      }
      const h = harness(counting, { QSM_CONCURRENCY: '8', QSM_USER_CONCURRENCY: '8', QSM_ENDPOINT_CONCURRENCY: '8' })
      const ep = await h.endpoint('backlogged', `${receiver.url}/slow`)
      busy = () => h.deps.limiter.userBusy('backlogged') >= 8
      for (let i = 0; i < 96; i++) await h.queue('backlogged', ep.id)
      const summary = await h.run()
      expect(summary.succeeded).toBe(96)
      console.log(`rows read for the user while all 8 of its slots were busy: ${rowsReadWhileBusy}; 96 delivered in ${summary.duration_ms} ms, ${summary.claimed} claimed, ${summary.released} given back (${dialect})`)
      expect(rowsReadWhileBusy).toBeGreaterThan(0)
      expect(summary.released).toBe(0)
    })
  })
}
