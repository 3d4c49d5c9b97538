// POST /v1/events trusts only requests signed with QSM_BRIDGE_SECRET over the exact body, with a
// fresh timestamp. Each way of getting around that is tried here; each must answer 401 and store
// nothing. A replay inside the tolerance is harmless by design: the event id makes it a duplicate.
import { describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { seedEndpoint } from '../helpers/seed.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { sign } from '../../server/signing/sign.js'
import { bridgeHeaders, exampleEvent, rowCounts } from '../reliability/support.js'

for (const dialect of dialects()) {
  describe(`${dialect}: bridge signatures on POST /v1/events`, () => {
    const t = useTestDb(dialect)

    async function setup() {
      const app = makeTestApp(t.db)
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['*'] })
      const raw = (body: string, headers: Record<string, string>) => app.app.request('/v1/events', { method: 'POST', headers, body })
      return { app, raw, now: () => app.clock.now() }
    }

    async function refused(res: Response, reason: RegExp) {
      expect(res.status).toBe(401)
      const json = (await res.json()) as any
      expect(json.error.code).toBe('unauthorized')
      expect(json.error.message).toMatch(reason)
      return json
    }

    it('stores a correctly signed event (the control case)', async () => {
      const { raw, now } = await setup()
      const body = JSON.stringify(exampleEvent())
      expect((await raw(body, bridgeHeaders(body, now()))).status).toBe(202)
      expect(await rowCounts(t.db)).toMatchObject({ events: 1, deliveries: 1 })
    })

    it.each([
      ['another secret', 'base64:' + Buffer.alloc(32, 1).toString('base64')],
      ['the app key', TEST_SECRETS.QSM_APP_KEY],
      ['the cron token', TEST_SECRETS.QSM_CRON_TOKEN],
      ['the decoded bytes of the bridge secret instead of its text', Buffer.from(TEST_SECRETS.QSM_BRIDGE_SECRET.slice(7), 'base64').toString('latin1')],
      ['the bridge secret without its base64: prefix', TEST_SECRETS.QSM_BRIDGE_SECRET.slice(7)],
      ['an empty key', ''],
    ])('refuses a signature made with %s', async (_name, secret) => {
      const { raw, now } = await setup()
      const body = JSON.stringify(exampleEvent())
      const headers = bridgeHeaders(body, now(), { secret: secret || 'x' })
      if (!secret) headers['webhook-signature'] = sign(Buffer.alloc(0), headers['webhook-id']!, Number(headers['webhook-timestamp']), body)
      await refused(await raw(body, headers), /no matching signature/)
      expect(await rowCounts(t.db)).toMatchObject({ events: 0, deliveries: 0 })
    })

    it('refuses a valid signature reused with another body, and a batch with one event slipped in', async () => {
      const { raw, now } = await setup()
      const original = JSON.stringify(exampleEvent('email.received'))
      const headers = bridgeHeaders(original, now())
      const tampered = [
        JSON.stringify(exampleEvent('email.failed')),
        original.replace('"u1"', '"u2"'),
        original + ' ',
        original.replace('{', '{ '),
        JSON.stringify({ events: [JSON.parse(original), exampleEvent()] }),
      ]
      for (const body of tampered) await refused(await raw(body, headers), /no matching signature/)
      const batch = JSON.stringify({ events: [exampleEvent(), exampleEvent()] })
      const batchHeaders = bridgeHeaders(batch, now())
      const grown = JSON.stringify({ events: [...JSON.parse(batch).events, exampleEvent()] })
      await refused(await raw(grown, batchHeaders), /no matching signature/)
      expect(await rowCounts(t.db)).toMatchObject({ events: 0, deliveries: 0 })
      // The untouched originals still go through.
      expect((await raw(original, headers)).status).toBe(202)
      expect((await raw(batch, batchHeaders)).status).toBe(202)
    })

    it('refuses the signed headers moved to another webhook-id or timestamp', async () => {
      const { raw, now } = await setup()
      const body = JSON.stringify(exampleEvent())
      const headers = bridgeHeaders(body, now())
      await refused(await raw(body, { ...headers, 'webhook-id': headers['webhook-id'] + 'x' }), /no matching signature/)
      await refused(await raw(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }), /no matching signature/)
      expect(await rowCounts(t.db)).toMatchObject({ events: 0 })
    })

    it('treats a replay inside the tolerance as a duplicate, and refuses the same request once the tolerance has passed', async () => {
      const { app, raw, now } = await setup()
      const body = JSON.stringify(exampleEvent())
      const headers = bridgeHeaders(body, now())
      expect((await raw(body, headers)).status).toBe(202)
      app.clock.advance(60_000)
      const again = await raw(body, headers)
      expect(again.status).toBe(200)
      expect(((await again.json()) as any).data[0].duplicate).toBe(true)
      const counts = await rowCounts(t.db)
      expect(counts).toMatchObject({ events: 1, deliveries: 1 })
      // Same webhook-id, same timestamp, same signature: past the 300 s tolerance it is refused.
      app.clock.advance(241_000)
      await refused(await raw(body, headers), /too old/)
      // A new event replayed with an old signed envelope around it is refused too.
      const fresh = JSON.stringify(exampleEvent())
      const stale = bridgeHeaders(fresh, now(), { timestamp: Math.floor(now() / 1000) - 301 })
      await refused(await raw(fresh, stale), /too old/)
      expect(await rowCounts(t.db)).toEqual(counts)
    })

    it.each([
      ['301 s old', -301, /too old/],
      ['301 s in the future', 301, /future/],
      ['a day old', -86_400, /too old/],
    ])('refuses a timestamp %s', async (_name, offset, reason) => {
      const { raw, now } = await setup()
      const body = JSON.stringify(exampleEvent())
      await refused(await raw(body, bridgeHeaders(body, now(), { timestamp: Math.floor(now() / 1000) + offset })), reason)
      expect(await rowCounts(t.db)).toMatchObject({ events: 0 })
    })

    it('accepts the edge of the tolerance (300 s either way)', async () => {
      const { raw, now } = await setup()
      for (const offset of [-300, 300]) {
        const body = JSON.stringify(exampleEvent())
        expect((await raw(body, bridgeHeaders(body, now(), { timestamp: Math.floor(now() / 1000) + offset }))).status).toBe(202)
      }
    })

    it.each([
      ['no webhook-id', (h: Record<string, string>) => delete h['webhook-id'], /missing/],
      ['no webhook-timestamp', (h: Record<string, string>) => delete h['webhook-timestamp'], /missing/],
      ['no webhook-signature', (h: Record<string, string>) => delete h['webhook-signature'], /missing/],
      ['a timestamp in milliseconds', (h: Record<string, string>) => (h['webhook-timestamp'] = h['webhook-timestamp'] + '000'), /.+/],
      ['a negative timestamp', (h: Record<string, string>) => (h['webhook-timestamp'] = '-' + h['webhook-timestamp']), /unix seconds/],
      ['a timestamp with a fraction', (h: Record<string, string>) => (h['webhook-timestamp'] = h['webhook-timestamp'] + '.5'), /unix seconds/],
      ['a v2 signature', (h: Record<string, string>) => (h['webhook-signature'] = h['webhook-signature']!.replace('v1,', 'v2,')), /no matching/],
      ['a bare base64 signature', (h: Record<string, string>) => (h['webhook-signature'] = h['webhook-signature']!.slice(3)), /no matching/],
      ['a truncated signature', (h: Record<string, string>) => (h['webhook-signature'] = h['webhook-signature']!.slice(0, -4)), /no matching/],
      ['a webhook-id with a dot', (h: Record<string, string>) => (h['webhook-id'] = 'a.b'), /must not contain/],
    ])('refuses %s', async (_name, mutate, reason) => {
      const { raw, now } = await setup()
      const body = JSON.stringify(exampleEvent())
      const headers = bridgeHeaders(body, now())
      mutate(headers)
      await refused(await raw(body, headers), reason)
      expect(await rowCounts(t.db)).toMatchObject({ events: 0 })
    })

    it('checks the signature before parsing: an unsigned body of garbage is a 401, not a 422', async () => {
      const { raw } = await setup()
      const res = await raw('{"not json', { 'content-type': 'application/json' })
      expect(res.status).toBe(401)
    })
  })
}
