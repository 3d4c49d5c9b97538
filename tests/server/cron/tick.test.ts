import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { TEST_SECRETS } from '../../helpers/config.js'
import { countingReceiver, harness } from '../delivery/helpers.js'

const TOKEN = TEST_SECRETS.QSM_CRON_TOKEN

for (const dialect of dialects()) {
  describe(`${dialect}: /tick`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => { receiver = await startReceiver() })
    afterAll(async () => { await receiver.close() })
    beforeEach(() => {
      receiver.received.length = 0
      receiver.fallback = { status: 200, body: 'ok' }
    })

    it('answers 401 without the cron token or with a wrong one, and sends nothing', async () => {
      const h = harness(t.db)
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      await h.queue('u1', ep.id)
      for (const init of [
        { path: '/tick' },
        { path: '/tick?token=wrong-token-0123456789abcdef' },
        { path: '/tick', headers: { authorization: 'Bearer nope' } },
        { path: `/tick?token=${TOKEN}x`, method: 'POST' },
      ]) {
        const res = await h.app.request(init.path, { method: init.method ?? 'GET', headers: init.headers })
        expect(res.status).toBe(401)
        expect((await res.json()).error.code).toBe('unauthorized')
      }
      expect(receiver.received).toHaveLength(0)
    })

    it('runs due deliveries and answers with counts, by GET with ?token= or POST with a bearer token', async () => {
      const h = harness(t.db)
      receiver.queue({ status: 200 }, { status: 503 }, { status: 410 })
      const ep = await h.endpoint('u1', `${receiver.url}/hook`)
      await h.queue('u1', ep.id)
      await h.queue('u1', ep.id)
      await h.queue('u1', ep.id)
      const res = await h.app.request(`/tick?token=${TOKEN}`)
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(body).toMatchObject({ claimed: 3, succeeded: 1, retried: 1, failed: 1, released: 0, purged: { payloads_purged: 0, deliveries_purged: 0 } })
      expect(body.duration_ms).toBeGreaterThanOrEqual(0)
      const again = await h.app.request('/tick', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
      expect(await again.json()).toMatchObject({ claimed: 0, succeeded: 0 })
    })

    if (dialect === 'mysql') it('two ticks at once deliver every pair exactly once', async () => {
      const slow = await countingReceiver(15)
      try {
        const h = harness(t.db, { QSM_CONCURRENCY: '8', QSM_USER_CONCURRENCY: '8', QSM_ENDPOINT_CONCURRENCY: '8' })
        const endpoints = [await h.endpoint('u1', `${slow.url}/a`), await h.endpoint('u1', `${slow.url}/b`)]
        for (let i = 0; i < 40; i++) for (const ep of endpoints) await h.queue('u1', ep.id)
        const [one, two] = await Promise.all([h.app.request(`/tick?token=${TOKEN}`), h.app.request(`/tick?token=${TOKEN}`)])
        const a = await one.json()
        const b = await two.json()
        expect(a.claimed + b.claimed).toBe(80)
        expect(a.succeeded + b.succeeded).toBe(80)
        expect(slow.stats.count).toBe(80)
        expect(slow.stats.keys.size).toBe(80)
        expect(slow.stats.maxSameDelivery).toBe(1)
        const left = await t.db.db.selectFrom('deliveries').select('id').where('status', '!=', 'succeeded').execute()
        expect(left).toEqual([])
      } finally {
        await slow.close()
      }
    })
  })
}
