import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp, type TestApp } from '../../helpers/app.js'
import { seedEndpoint } from '../../helpers/seed.js'
import { sign } from '../../../server/signing/sign.js'
import { EXAMPLES } from '../../../server/events/examples.js'
import { newId } from '../../../server/db/ids.js'
import { ingestEvents } from '../../../server/events/ingest.js'
import { parseEventsBody } from '../../../server/events/parse-body.js'
import type { Db } from '../../../server/db/connect.js'
import { createIngestGate } from '../../../server/events/admission.js'

type Example = keyof typeof EXAMPLES
const event = (type: Example = 'email.failed', userId = 'u1', id = newId('evt')) => ({ ...structuredClone(EXAMPLES[type]), id, user_id: userId })

/** POSTs a body to /v1/events signed with the bridge secret (or as `opts` says): status and JSON. */
async function post(t: TestApp, body: unknown, opts: { secret?: string; ageSeconds?: number; headers?: Record<string, string> | null } = {}) {
  const res = await postRaw(t, body, opts)
  return { status: res.status, json: (await res.json()) as any }
}

/** The same, answering the whole Response (headers too). */
async function postRaw(t: TestApp, body: unknown, opts: { secret?: string; ageSeconds?: number; headers?: Record<string, string> | null } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const ts = Math.floor(t.clock.now() / 1000) - (opts.ageSeconds ?? 0)
  const id = 'req_' + newId('evt').slice(4)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (opts.headers !== null) {
    Object.assign(headers, {
      'webhook-id': id, 'webhook-timestamp': String(ts),
      'webhook-signature': sign(Buffer.from(opts.secret ?? t.deps.config.bridgeSecret, 'utf8'), id, ts, text),
      ...opts.headers,
    })
  }
  return t.app.request('/v1/events', { method: 'POST', headers, body: text })
}

async function counts(db: Db) {
  const e = await db.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  const d = await db.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return { events: Number(e.n), deliveries: Number(d.n) }
}

describe.each(dialects())('POST /v1/events on %s', (dialect) => {
  const tdb = useTestDb(dialect)

  describe('fan-out', () => {
    it('creates one pending delivery per active endpoint whose filter matches, exact, group or *', async () => {
      const t = makeTestApp(tdb.db)
      const exact = await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['email.failed'] })
      const group = await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['email.*'] })
      const all = await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['email.forwarded', 'usage.*'] })
      const e = event('email.failed')
      const res = await post(t, e)
      expect(res.status).toBe(202)
      expect(res.json).toEqual({ data: [{ id: e.id, deliveries: 3, duplicate: false }] })
      const rows = await tdb.db.db.selectFrom('deliveries').selectAll().orderBy('endpoint_id').execute()
      expect(rows.map((r) => r.endpoint_id).sort()).toEqual([exact, group, all].sort())
      for (const row of rows) {
        expect(row).toMatchObject({ event_id: e.id, user_id: 'u1', event_type: 'email.failed', status: 'pending', attempts: 0, lease_owner: null })
        expect(Number(row.next_attempt_at)).toBe(t.clock.now())
        expect(row.id).toMatch(/^dlv_/)
      }
    })

    it('stores the event as the exact JSON that will be sent', async () => {
      const t = makeTestApp(tdb.db)
      const e = event('usage.threshold_reached')
      await post(t, e)
      const row = await tdb.db.db.selectFrom('events').selectAll().executeTakeFirstOrThrow()
      expect(JSON.parse(row.payload!)).toEqual(e)
      expect(row).toMatchObject({ id: e.id, user_id: 'u1', type: 'usage.threshold_reached', schema_version: 1 })
      expect(Number(row.occurred_at)).toBe(Date.parse(e.occurred_at))
      expect(Number(row.received_at)).toBe(t.clock.now())
    })

    it('skips inactive endpoints and never matches another user\'s endpoints', async () => {
      const t = makeTestApp(tdb.db)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'], isActive: false })
      await seedEndpoint(tdb.db, { userId: 'u2', eventTypes: ['*'] })
      const res = await post(t, event('email.spam', 'u1'))
      expect(res.status).toBe(202)
      expect(res.json.data[0].deliveries).toBe(0)
      expect(await counts(tdb.db)).toEqual({ events: 1, deliveries: 0 })
    })

    it('fans a batch out per event and per user', async () => {
      const t = makeTestApp(tdb.db)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['email.*'] })
      await seedEndpoint(tdb.db, { userId: 'u2', eventTypes: ['*'] })
      await seedEndpoint(tdb.db, { userId: 'u2', eventTypes: ['overflow.*'] })
      const batch = [event('email.received', 'u1'), event('overflow.hold_started', 'u1'), event('overflow.hold_started', 'u2'), event('email.oversize', 'u2')]
      const res = await post(t, { events: batch })
      expect(res.status).toBe(202)
      expect(res.json.data.map((r: any) => r.deliveries)).toEqual([1, 0, 2, 1])
      expect(await counts(tdb.db)).toEqual({ events: 4, deliveries: 4 })
    })

    it('takes 100 small events for 5 endpoints in one request', async () => {
      const t = makeTestApp(tdb.db)
      for (let i = 0; i < 5; i++) await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const res = await post(t, { events: Array.from({ length: 100 }, () => event('usage.threshold_reached')) })
      expect(res.status).toBe(202)
      expect(await counts(tdb.db)).toEqual({ events: 100, deliveries: 500 })
    })

    it('wakes the delivery loop after storing deliveries, and not for events nobody wants', async () => {
      let wakes = 0
      const t = makeTestApp(tdb.db, { deps: { dispatcher: { wake: () => void wakes++, stop: async () => {} } } })
      await post(t, event())
      expect(wakes).toBe(0)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      await post(t, event())
      expect(wakes).toBe(1)
    })

    it("finds a user's endpoints without a query for a second, sees one created here at once and one created by another process within that second", async () => {
      const t = makeTestApp(tdb.db)
      expect((await post(t, event())).json.data[0].deliveries).toBe(0) // nobody wants it; remembered
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'], otherProcess: true })
      expect((await post(t, event())).json.data[0].deliveries).toBe(0) // not told: still the copy
      await new Promise((r) => setTimeout(r, 1_050))
      expect((await post(t, event())).json.data[0].deliveries).toBe(1) // the copy expired
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      expect((await post(t, event())).json.data[0].deliveries).toBe(2) // written here: at once
    })
  })

  describe('idempotency', () => {
    it('answers a repeated event id with 200, the original count and duplicate: true, creating nothing', async () => {
      const t = makeTestApp(tdb.db)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['email.*'] })
      const e = event()
      expect((await post(t, e)).status).toBe(202)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const again = await post(t, e)
      expect(again).toEqual({ status: 200, json: { data: [{ id: e.id, deliveries: 2, duplicate: true }] } })
      expect(await counts(tdb.db)).toEqual({ events: 1, deliveries: 2 })
    })

    it('stores the new events of a batch that repeats some known ones, and answers 202', async () => {
      const t = makeTestApp(tdb.db)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const known = event()
      await post(t, known)
      const fresh = event()
      const res = await post(t, { events: [known, fresh, fresh] })
      expect(res.status).toBe(202)
      expect(res.json.data).toEqual([
        { id: known.id, deliveries: 1, duplicate: true },
        { id: fresh.id, deliveries: 1, duplicate: false },
        { id: fresh.id, deliveries: 1, duplicate: true },
      ])
      expect(await counts(tdb.db)).toEqual({ events: 2, deliveries: 2 })
    })

    it('answers both of two concurrent requests with one id without a 500, storing it once', async () => {
      const t = makeTestApp(tdb.db)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const e = event()
      const results = await Promise.all([post(t, e), post(t, e), post(t, e)])
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 202])
      expect(await counts(tdb.db)).toEqual({ events: 1, deliveries: 1 })
    })

    it('treats a unique-key race inside ingestEvents as a duplicate', async () => {
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const parsed = parseEventsBody(JSON.stringify(event()))
      let sneaked = false
      // The row appears between the existence check and the insert, as a racing request's would:
      // the first attempt's transaction begins with the racing request's insert replayed in it.
      const replayed = (begin: () => any) => () => ({
        execute: (fn: (trx: any) => Promise<unknown>) => begin().execute(async (trx: any) => {
          await trx.insertInto('events').values({ id: parsed[0]!.event.id, user_id: 'u1', type: 'x', schema_version: 1, occurred_at: 0, payload: null, received_at: 0 }).execute()
          return fn(trx)
        }),
      })
      // Whether the transaction is begun on the database (MySQL) or on the connection held for it
      // (SQLite's durable writes, write-first.ts). The racing request is stored before either is
      // taken: SQLite has one connection. The held connection is patched in place, since Kysely's
      // private fields do not pass through a Proxy.
      const intercept = (q: any): any => new Proxy(q, {
        get(db, p) {
          if (p !== 'transaction' && p !== 'connection') return Reflect.get(db, p)
          return () => ({
            execute: async (fn: (x: any) => Promise<unknown>) => {
              const first = !sneaked
              if (first) { sneaked = true; await ingestEvents({ db: tdb.db }, parsed, Date.now()) }
              if (p === 'transaction') return (first ? replayed(() => db.transaction()) : () => db.transaction())().execute(fn)
              return db.connection().execute(async (conn: any) => {
                if (!first) return fn(conn)
                const begin = conn.transaction.bind(conn)
                conn.transaction = replayed(begin)
                try { return await fn(conn) } finally { delete conn.transaction }
              })
            },
          })
        },
      })
      const racing = new Proxy(tdb.db, { get: (target, prop) => (prop === 'db' ? intercept(target.db) : Reflect.get(target, prop)) })
      const results = await ingestEvents({ db: racing as Db }, parsed, Date.now())
      expect(results).toEqual([{ id: parsed[0]!.event.id, deliveries: 1, duplicate: true }])
      expect(await counts(tdb.db)).toEqual({ events: 1, deliveries: 1 })
    })
  })

  describe('refusals store nothing', () => {
    const refused = async (t: TestApp, res: { status: number; json: any }, status: number, code: string) => {
      expect(res.status).toBe(status)
      expect(res.json.error.code).toBe(code)
      expect(await counts(tdb.db)).toEqual({ events: 0, deliveries: 0 })
    }

    it('refuses a request without signature headers with 401', async () => {
      const t = makeTestApp(tdb.db)
      const res = await post(t, event(), { headers: null })
      await refused(t, res, 401, 'unauthorized')
      expect(res.json.error.message).toMatch(/missing webhook-id/)
    })

    it('refuses a signature made with another secret with 401', async () => {
      const t = makeTestApp(tdb.db)
      const res = await post(t, event(), { secret: 'not-the-bridge-secret' })
      await refused(t, res, 401, 'unauthorized')
      expect(res.json.error.message).toMatch(/no matching signature/)
    })

    it('refuses a body changed after signing with 401', async () => {
      const t = makeTestApp(tdb.db)
      const e = event()
      const text = JSON.stringify(e)
      const ts = Math.floor(t.clock.now() / 1000)
      const sig = sign(Buffer.from(t.deps.config.bridgeSecret, 'utf8'), e.id, ts, text)
      const res = await t.app.request('/v1/events', {
        method: 'POST', body: text.replace('"u1"', '"u2"'),
        headers: { 'content-type': 'application/json', 'webhook-id': e.id, 'webhook-timestamp': String(ts), 'webhook-signature': sig },
      })
      await refused(t, { status: res.status, json: await res.json() }, 401, 'unauthorized')
    })

    it('refuses a stale timestamp with 401 naming the clock', async () => {
      const t = makeTestApp(tdb.db)
      const res = await post(t, event(), { ageSeconds: t.deps.config.signatureToleranceSeconds + 5 })
      await refused(t, res, 401, 'unauthorized')
      expect(res.json.error.message).toMatch(/too old/)
    })

    it('refuses a body over 64 KB with 413 before checking anything else', async () => {
      const t = makeTestApp(tdb.db)
      const res = await post(t, 'x'.repeat(64 * 1024 + 1), { headers: null })
      await refused(t, res, 413, 'payload_too_large')
    })

    it('refuses a signed body that is not JSON with 422 invalid_json', async () => {
      const t = makeTestApp(tdb.db)
      await refused(t, await post(t, '{"id": "evt_'), 422, 'invalid_json')
    })

    it('refuses a signed body nested 20,000 deep with 422, not a crash', async () => {
      const t = makeTestApp(tdb.db)
      const res = await post(t, '{"events":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}')
      expect(res.json.error.message).toBe('(body): nests deeper than 32 levels')
      await refused(t, res, 422, 'validation_failed')
    })

    it('refuses an invalid event with 422 naming each failing path', async () => {
      const t = makeTestApp(tdb.db)
      const e = event() as any
      delete e.data.failure.reason
      e.data.message.size_bytes = -1
      const res = await post(t, e)
      await refused(t, res, 422, 'validation_failed')
      expect(res.json.error.details.map((d: any) => d.path).sort()).toEqual(['data.failure.reason', 'data.message.size_bytes'])
    })

    it('refuses a whole batch when one event is invalid, prefixing paths with events.N', async () => {
      const t = makeTestApp(tdb.db)
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const bad = event('email.received') as any
      bad.data.message.subject = 'Hello'
      const res = await post(t, { events: [event(), event(), bad] })
      expect(res.status).toBe(422)
      expect(res.json.error.details).toEqual([{ path: 'events.2.data.message.subject', message: expect.stringMatching(/no subjects or bodies/) }])
      expect(await counts(tdb.db)).toEqual({ events: 0, deliveries: 0 })
    })

    it('refuses more than 100 events in one request', async () => {
      const t = makeTestApp(tdb.db)
      const res = await post(t, { events: Array.from({ length: 101 }, () => event('overflow.hold_released')) })
      await refused(t, res, 422, 'validation_failed')
      expect(res.json.error.message).toMatch(/at most 100/)
    })

    it('refuses an empty batch', async () => {
      const t = makeTestApp(tdb.db)
      await refused(t, await post(t, { events: [] }), 422, 'validation_failed')
    })

    it('refuses webhook.test from the bridge', async () => {
      const t = makeTestApp(tdb.db)
      const res = await post(t, event('webhook.test'))
      await refused(t, res, 422, 'validation_failed')
      expect(res.json.error.message).toBe('type: webhook.test is sent only by the test button')
    })
  })

  describe('back-pressure', () => {
    it('answers 503 with Retry-After while the process holds its most ingest requests, stores nothing, and takes the same request once one is answered', async () => {
      const gate = createIngestGate(1)
      const t = makeTestApp(tdb.db, { deps: { ingestGate: gate } })
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const leave = gate.enter(100)!
      const e = event('email.received')
      const refusedNow = await postRaw(t, e)
      expect(refusedNow.status).toBe(503)
      expect(refusedNow.headers.get('retry-after')).toBe('1')
      expect(((await refusedNow.json()) as any).error).toMatchObject({ code: 'unavailable', message: 'Too many events are being stored right now; try again in a second' })
      expect(await counts(tdb.db)).toEqual({ events: 0, deliveries: 0 })
      leave()
      const later = await post(t, e)
      expect(later.status).toBe(202)
      expect(await counts(tdb.db)).toEqual({ events: 1, deliveries: 1 })
      // Answered: its place is free again.
      expect(gate.inProgress()).toEqual({ requests: 0, bytes: 0 })
    })

    it('counts the bodies in progress: a batch that would take them past the budget waits, a small event still gets in', async () => {
      const gate = createIngestGate(256, 6_000)
      const t = makeTestApp(tdb.db, { deps: { ingestGate: gate } })
      await seedEndpoint(tdb.db, { userId: 'u1', eventTypes: ['*'] })
      const leave = gate.enter(4_000)!
      const batch = await post(t, { events: [event(), event(), event()] })
      expect(batch.status).toBe(503)
      expect((await post(t, event())).status).toBe(202)
      leave()
      expect((await post(t, { events: [event(), event(), event()] })).status).toBe(202)
      expect(await counts(tdb.db)).toEqual({ events: 4, deliveries: 4 })
    })

    it('checks the signature first: a request with a wrong secret is 401 even while the process is full', async () => {
      const gate = createIngestGate(1)
      const t = makeTestApp(tdb.db, { deps: { ingestGate: gate } })
      gate.enter(100)
      const res = await post(t, event(), { secret: 'not-the-bridge-secret' })
      expect(res.status).toBe(401)
    })

    it('frees the place of a request that was refused for its content', async () => {
      const gate = createIngestGate(1)
      const t = makeTestApp(tdb.db, { deps: { ingestGate: gate } })
      const bad = event('email.received') as any
      bad.data.message.subject = 'Hello'
      expect((await post(t, bad)).status).toBe(422)
      expect(gate.inProgress()).toEqual({ requests: 0, bytes: 0 })
      expect((await post(t, event())).status).toBe(202)
    })
  })
})
