// Test sends are deliveries like any other for the limits: one user's flood of them never has more
// than that user's cap in flight, waits for a slot (and says so) or is refused with 429, and does
// not slow another user whose receiver sits on the same origin.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp, type TestApp } from '../helpers/app.js'
import { startScheduler } from '../../server/delivery/scheduler.js'
import { endpoints, ingest, tenantReceiver } from './support.js'

async function victimDurations(app: TestApp, receiver: Awaited<ReturnType<typeof tenantReceiver>>, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const event = await ingest(app, 'victim')
    const got = await receiver.waitFor((a) => a.path.startsWith('/slow-50-victim') && a.body.includes(event.id), 5_000)
    // Event → answered: the receiver takes 50 ms; the rest is ours.
    out.push(got.at + 50 - event.at)
    await new Promise((r) => setTimeout(r, 100))
  }
  return out
}

for (const dialect of dialects()) {
  describe(`${dialect}: test sends`, () => {
    const t = useTestDb(dialect)
    let receiver: Awaited<ReturnType<typeof tenantReceiver>>
    beforeEach(async () => { receiver = await tenantReceiver() })
    afterEach(async () => { await receiver.close() })

    it("never have more than the user's cap in flight; the ones that waited say how long", async () => {
      const app = makeTestApp(t.db)
      const ids = await endpoints(app, 'flooder', [`${receiver.url}/slow-300-a`, `${receiver.url}/slow-300-b`, `${receiver.url}/slow-300-c`])
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => app.call('flooder', 'POST', `/v1/webhooks/${ids[i % 3]}/test`)))
      expect(answers.map((a) => a.status)).toEqual(new Array(8).fill(200))
      expect(answers.every((a) => a.json.ok)).toBe(true)
      // 8 tests of 300 ms, at most 2 at once: four rounds, and most of them waited for a slot.
      expect(receiver.maxInFlight.get('slow')).toBe(2)
      expect(answers.filter((a) => a.json.waited_ms >= 250).length).toBeGreaterThanOrEqual(5)
    }, 30_000)

    it('that wait longer than 5 s for a slot are refused with 429 and a reason, and leave no delivery behind', async () => {
      const app = makeTestApp(t.db, { env: { QSM_DELIVERY_TIMEOUT_MS: '8s' } })
      const [ep] = await endpoints(app, 'flooder', [`${receiver.url}/hang-a`])
      const first = app.call('flooder', 'POST', `/v1/webhooks/${ep}/test`)
      await receiver.waitFor((a) => a.path === '/hang-a', 3_000)
      const second = await app.call('flooder', 'POST', `/v1/webhooks/${ep}/test`)
      expect(second.status).toBe(429)
      expect(second.headers.get('retry-after')).toBe('5')
      expect(second.json.error.message).toMatch(/^Not sent: your account already has 1 deliveries in flight/)
      receiver.hangUp()
      expect((await first).json.ok).toBe(false)
      const rows = await t.db.db.selectFrom('deliveries').select('status').where('user_id', '=', 'flooder').execute()
      expect(rows.map((r) => r.status)).toEqual(['failed'])
      // A failed test is never replayed or redelivered.
      const replay = await app.call('flooder', 'POST', '/v1/deliveries/replay', { endpoint_id: ep, since: new Date(app.clock.now() - 60_000).toISOString() })
      expect(replay.json.replayed).toBe(0)
    }, 30_000)

    it("in a flood to a hanging path on another user's origin leave that user's delivery times unchanged (within 100 ms)", async () => {
      const app = makeTestApp(t.db, { env: { QSM_DELIVERY_TIMEOUT_MS: '4s' } })
      const flood = await endpoints(app, 'flooder', [`${receiver.url}/hang-1`, `${receiver.url}/hang-2`, `${receiver.url}/hang-3`])
      await endpoints(app, 'victim', [`${receiver.url}/slow-50-victim`])
      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 1_000 })
      try {
        const before = await victimDurations(app, receiver, 5)
        // 5 test sends a second for 3 s, all at a path that never answers, same host and port.
        const tests: Promise<unknown>[] = []
        for (let i = 0; i < 15; i++) {
          tests.push(app.call('flooder', 'POST', `/v1/webhooks/${flood[i % 3]}/test`))
          await new Promise((r) => setTimeout(r, 200))
        }
        const during = await victimDurations(app, receiver, 5)
        console.log(`victim event→answered: ${before.join(', ')} ms before the flood, ${during.join(', ')} ms during it (${dialect})`)
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
        expect(Math.abs(mean(during) - mean(before))).toBeLessThan(100)
        expect(Math.max(...during)).toBeLessThan(Math.max(...before) + 100)
        expect(receiver.maxInFlight.get('hang')).toBeLessThanOrEqual(2)
        receiver.hangUp()
        const statuses = (await Promise.all(tests)).map((r) => (r as { status: number }).status)
        expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
      } finally {
        receiver.hangUp()
        await app.deps.dispatcher.stop()
      }
    }, 30_000)
  })
}
