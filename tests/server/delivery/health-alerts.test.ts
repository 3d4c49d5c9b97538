// Endpoint health as a state machine driven by real deliveries and a hand-moved clock, and the
// announcements each state change makes: one e-mail (outbox row) and one operational event, never
// more, however many deliveries fail and however many processes see it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { connect } from '../../../server/db/connect.js'
import { applyEndpointEffects } from '../../../server/delivery/endpoint-health.js'
import type { Finish } from '../../../server/delivery/outcome.js'
import type { Db } from '../../../server/db/connect.js'
import { harness, type Harness } from './helpers.js'

const M = 60_000
const SMTP = { QSM_SMTP_URL: 'smtp://127.0.0.1:1' } // alerts on; nothing drains the outbox here

for (const dialect of dialects()) {
  describe(`${dialect}: endpoint health and its announcements`, () => {
    const t = useTestDb(dialect)
    let broken: Receiver
    let other: Receiver
    beforeAll(async () => { [broken, other] = await Promise.all([startReceiver({ status: 500 }), startReceiver()]) })
    afterAll(async () => { await Promise.all([broken.close(), other.close()]) })
    beforeEach(() => {
      broken.received.length = 0
      other.received.length = 0
      broken.fallback = { status: 500 }
    })

    const outbox = (db: Db = t.db) => db.db.selectFrom('alert_outbox').selectAll().orderBy('created_at').orderBy('id').execute()
    const opEvents = () => t.db.db.selectFrom('events').selectAll().where('type', 'like', 'endpoint.%').orderBy('id').execute()
    const health = async (h: Harness, id: string) => (await h.call('u1', 'GET', `/v1/webhooks/${id}`)).json.health
    async function setUp(env: Record<string, string>, email: string | null = 'owner@example.test') {
      const h = harness(t.db, { QSM_RETRY_SCHEDULE: '1m', QSM_MAX_ATTEMPTS: '50', ...env })
      const a = await h.endpoint('u1', `${broken.url}/orders`)
      const b = await h.endpoint('u1', `${other.url}/ops`)
      if (email) expect((await h.call('u1', 'PUT', '/v1/alert-settings', { email, enabled: true })).status).toBe(200)
      return { h, a: a.id, b: b.id }
    }

    it('turns failing at the third failed attempt in a row, and tells the owner and the other endpoints once', async () => {
      const { h, a, b } = await setUp(SMTP)
      const start = h.clock.now()
      await h.queue('u1', a)
      await h.run()
      expect(await health(h, a)).toMatchObject({ state: 'healthy', consecutive_failures: 1, last_error: 'HTTP 500' })
      h.clock.advance(M)
      await h.run()
      expect((await health(h, a)).state).toBe('healthy')
      expect(await outbox()).toHaveLength(0)
      h.clock.advance(M)
      await h.run()
      const failing = await health(h, a)
      expect(failing).toMatchObject({ state: 'failing', since: new Date(start).toISOString(), consecutive_failures: 3, last_error: 'HTTP 500' })
      expect(failing.recent_failures).toHaveLength(3)
      expect(failing.recent_failures[0]).toMatchObject({ status_code: 500, hint: expect.stringContaining('Your endpoint had an error') })

      // Many more failures (new events and retries) announce nothing more.
      for (let i = 0; i < 5; i++) await h.queue('u1', a)
      for (let i = 0; i < 4; i++) {
        h.clock.advance(M)
        await h.run()
      }
      const mails = await outbox()
      expect(mails.map((m) => [m.kind, m.to_address, m.subject])).toEqual([['failing', 'owner@example.test', `Webhook endpoint failing: ${new URL(broken.url).host}`]])
      const events = await opEvents()
      expect(events.map((e) => e.type)).toEqual(['endpoint.failing'])
      // Delivered to the other endpoint (subscribed with "*"), never to the failing one itself.
      const targets = await t.db.db.selectFrom('deliveries').select(['endpoint_id', 'status']).where('event_id', '=', events[0]!.id).execute()
      expect(targets).toEqual([{ endpoint_id: b, status: 'succeeded' }])
      const sent = other.received.find((r) => r.headers['x-qsm-event-type'] === 'endpoint.failing')!
      expect(JSON.parse(sent.body).data).toMatchObject({ endpoint: { id: a, url_host: new URL(broken.url).host }, consecutive_failures: 3, last_error: 'HTTP 500' })
      expect(broken.received.some((r) => r.headers['x-qsm-event-type']?.startsWith('endpoint.'))).toBe(false)

      // The endpoint answers again: healthy, and one "recovered" to each.
      broken.fallback = { status: 200 }
      h.clock.advance(M)
      await h.run()
      expect(await health(h, a)).toMatchObject({ state: 'healthy', consecutive_failures: 0 })
      expect((await outbox()).map((m) => m.kind)).toEqual(['failing', 'recovered'])
      expect((await opEvents()).map((e) => e.type)).toEqual(['endpoint.failing', 'endpoint.recovered'])
    })

    it('turns failing after 15 minutes of failures even below the count', async () => {
      const { h, a } = await setUp({ ...SMTP, QSM_FAILING_AFTER_FAILURES: '10', QSM_RETRY_SCHEDULE: '16m' })
      await h.queue('u1', a)
      await h.run()
      expect((await health(h, a)).state).toBe('healthy')
      h.clock.advance(16 * M)
      await h.run()
      expect(await health(h, a)).toMatchObject({ state: 'failing', consecutive_failures: 2 })
      expect((await outbox()).map((m) => m.kind)).toEqual(['failing'])
    })

    it('is disabled after the failure period, recovering once turned on, healthy after a success', async () => {
      const { h, a } = await setUp({ ...SMTP, QSM_DISABLE_AFTER: '1h', QSM_RETRY_SCHEDULE: '15m' })
      await h.queue('u1', a)
      for (let i = 0; i < 5; i++) {
        if (i > 0) h.clock.advance(15 * M)
        await h.run()
      }
      const disabled = await health(h, a)
      expect(disabled).toMatchObject({ state: 'disabled', disabled_by: 'failure_period', since: new Date(h.clock.now()).toISOString() })
      expect(disabled.disabled_reason).toMatch(/^Failing continuously for 1 hour/)
      expect((await outbox()).map((m) => m.kind)).toEqual(['failing', 'disabled'])
      expect((await outbox())[1]!.body).toContain('Why: Failing continuously for 1 hour')

      await h.call('u1', 'PATCH', `/v1/webhooks/${a}`, { is_active: true })
      expect(await health(h, a)).toMatchObject({ state: 'recovering', consecutive_failures: 0 })
      broken.fallback = { status: 200 }
      h.clock.advance(M)
      await h.queue('u1', a)
      await h.run()
      expect((await health(h, a)).state).toBe('healthy')
      expect((await outbox()).map((m) => m.kind)).toEqual(['failing', 'disabled', 'recovered'])
      expect((await opEvents()).map((e) => e.type)).toEqual(['endpoint.failing', 'endpoint.disabled', 'endpoint.recovered'])
    })

    it('announces a 410 as disabled by the endpoint, once', async () => {
      const { h, a } = await setUp(SMTP)
      broken.fallback = { status: 410 }
      await h.queue('u1', a)
      await h.queue('u1', a)
      await h.run()
      expect(await health(h, a)).toMatchObject({ state: 'disabled', disabled_by: 'gone', disabled_reason: 'The endpoint answered 410 Gone' })
      expect((await outbox()).map((m) => m.kind)).toEqual(['disabled'])
      const [event] = await opEvents()
      expect(JSON.parse(event!.payload!).data).toMatchObject({ disabled_by: 'gone', reason: 'The endpoint answered 410 Gone' })
    })

    it('a user pause shows as disabled by the user and is announced to nobody', async () => {
      const { h, a } = await setUp(SMTP)
      await h.call('u1', 'PATCH', `/v1/webhooks/${a}`, { is_active: false })
      expect(await health(h, a)).toMatchObject({ state: 'disabled', disabled_by: 'user', since: new Date(h.clock.now()).toISOString() })
      expect(await outbox()).toHaveLength(0)
      expect(await opEvents()).toHaveLength(0)
    })

    it('sends no e-mail without QSM_SMTP_URL (the operational event still goes out)', async () => {
      const { h, a } = await setUp({})
      await h.queue('u1', a)
      for (let i = 0; i < 3; i++) {
        if (i > 0) h.clock.advance(M)
        await h.run()
      }
      expect((await health(h, a)).state).toBe('failing')
      expect(await outbox()).toHaveLength(0)
      expect((await opEvents()).map((e) => e.type)).toEqual(['endpoint.failing'])
    })

    it('sends no e-mail when the owner turned alerts off', async () => {
      const { h, a } = await setUp(SMTP)
      expect((await h.call('u1', 'PUT', '/v1/alert-settings', { email: 'owner@example.test', enabled: false })).status).toBe(200)
      await h.queue('u1', a)
      for (let i = 0; i < 3; i++) {
        if (i > 0) h.clock.advance(M)
        await h.run()
      }
      expect((await health(h, a)).state).toBe('failing')
      expect(await outbox()).toHaveLength(0)
    })

    it('does not count failed operational events against their receiver, so they cannot start a loop', async () => {
      const { h, a, b } = await setUp(SMTP)
      other.fallback = { status: 500 }
      try {
        await h.queue('u1', a)
        for (let i = 0; i < 6; i++) {
          if (i > 0) h.clock.advance(M)
          await h.run()
        }
        expect((await health(h, a)).state).toBe('failing')
        // b failed every endpoint.failing delivery it got, yet stays healthy and raises nothing.
        expect(other.received.filter((r) => r.headers['x-qsm-event-type'] === 'endpoint.failing').length).toBeGreaterThan(1)
        expect(await health(h, b)).toMatchObject({ state: 'healthy', consecutive_failures: 0 })
        expect((await opEvents()).map((e) => e.type)).toEqual(['endpoint.failing'])
      } finally {
        other.fallback = { status: 200, body: 'ok' }
      }
    })

    it('raises one e-mail and one event when two processes on one database race on the same streak', async () => {
      const env = { ...SMTP, QSM_RETRY_SCHEDULE: '1m', QSM_MAX_ATTEMPTS: '50' }
      const { h, a } = await setUp(env)
      // A second process: its own connection (pool) and its own dependency object.
      const db2 = await connect(t.url)
      try {
        const h2 = harness(db2, env)
        h2.clock.set(h.clock.now())
        for (let i = 0; i < 30; i++) await h.queue('u1', a)
        await Promise.all([h.run(), h2.run()])
        expect((await health(h, a)).state).toBe('failing')

        // And the compare-and-set itself, hammered: twenty result batches for one endpoint that
        // is one failure short of the threshold, written by both processes at once.
        await h.call('u1', 'PATCH', `/v1/webhooks/${a}`, { is_active: false })
        await h.call('u1', 'PATCH', `/v1/webhooks/${a}`, { is_active: true })
        await t.db.db.updateTable('endpoints').set({ alert_state: 'healthy', failing_since: h.clock.now(), consecutive_failures: 2 }).where('id', '=', a).execute()
        const fail = (): Finish => ({
          claim: { endpoint_id: a } as Finish['claim'], trigger: 'scheduled', status: 'pending', nextAttemptAt: null, lastError: 'HTTP 500', endpointEffect: 'streak',
          attempt: { startedAt: h.clock.now(), durationMs: 1, statusCode: 500, errorClass: 'http_error', error: 'HTTP 500', requestHeaders: null, responseExcerpt: null },
        })
        const config = h.deps.config
        await Promise.all(Array.from({ length: 20 }, (_, i) => applyEndpointEffects(i % 2 ? db2 : t.db, [fail()], config, h.clock.now())))
        const kinds = (await outbox()).map((m) => m.kind)
        expect(kinds).toEqual(['failing', 'failing'])
        expect((await opEvents()).map((e) => e.type)).toEqual(['endpoint.failing', 'endpoint.failing'])
      } finally {
        await db2.close()
      }
    })
  })
}
