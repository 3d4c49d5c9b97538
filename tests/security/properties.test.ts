// Property-based tests (fast-check) over the endpoint API and the ingest. For any input:
//   - the answer is a 2xx or a clean 4xx, never a 500 (and nothing is logged as unhandled);
//   - a refused request leaves every table exactly as it was (full dump before and after);
//   - an accepted one writes exactly what it says (one endpoint; one event plus one delivery per
//     matching endpoint) and reads back unchanged.
// numRuns stays modest so the whole file fits CI on two cores; a failure prints the seed to replay.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { seedEndpoint } from '../helpers/seed.js'
import { createLogger } from '../../server/log.js'
import { EVENT_TYPES } from '../../server/events/types.js'
import { BRIDGE_TYPES, dumpAllRows, exampleEvent, isWellFormed, postEvents, rowCounts } from '../reliability/support.js'

const RUNS = Number(process.env.QSM_PROPERTY_RUNS ?? 120)

/** Characters that break naive code: quotes, SQL and LIKE metacharacters, NUL, RTL, astral, lone surrogates. */
const nastyChar = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom("'", '"', '\\', '%', '_', ';', '--', '/*', '`', '\u0000', '\u202e', '\u200b', '\ufeff', '😀', '👩‍👩‍👧', '\ud800', '\udfff', '\n', '\r', '\t') },
)
const nastyString = fc.string({ unit: nastyChar, maxLength: 80 })
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nastyString, fc.constantFrom(null, true, 0, -1, 1e308, '', [], {}))

const validSecret = fc.uint8Array({ minLength: 32, maxLength: 48 }).map((b) => 'whsec_' + Buffer.from(b).toString('base64'))
const patterns = fc.constantFrom('*', 'email.*', 'usage.*', 'overflow.*', ...EVENT_TYPES.filter((t) => t !== 'webhook.test'))

/** An endpoint body: each field valid, hostile or left out, plus sometimes a stray key. */
const endpointBody = fc.oneof(
  { weight: 1, arbitrary: anyValue },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        url: fc.oneof(
          fc.constant('https://example.com/hook'),
          fc.webUrl({ validSchemes: ['https', 'http'], withQueryParameters: true }),
          nastyString.map((s) => `https://example.com/${s}`),
          anyValue,
        ),
        description: fc.oneof(nastyString, fc.string({ maxLength: 600 }), anyValue),
        event_types: fc.oneof(fc.array(patterns, { minLength: 1, maxLength: 4 }), fc.array(nastyString, { maxLength: 3 }), anyValue),
        is_active: fc.oneof(fc.boolean(), anyValue),
        secret: fc.oneof(validSecret, nastyString.map((s) => 'whsec_' + s), anyValue),
        junk: anyValue,
      },
      { requiredKeys: [] },
    ),
  },
  {
    // Mostly valid: the hostile part is the free text, so acceptances are exercised as well.
    weight: 3,
    arbitrary: fc.record(
      {
        url: fc.oneof(fc.constant('https://example.com/hook'), nastyString.map((s) => `https://example.com/${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))}`)),
        description: fc.oneof(nastyString, fc.string({ maxLength: 500 })),
        event_types: fc.array(patterns, { minLength: 1, maxLength: 4 }),
        is_active: fc.boolean(),
        secret: validSecret,
      },
      { requiredKeys: ['url', 'event_types'] },
    ),
  },
)

function sameText(a: unknown, b: unknown) {
  // A lone surrogate cannot be stored as UTF-8 and comes back as U+FFFD (see docs/reliability.md).
  return typeof a === 'string' && !isWellFormed(a) ? typeof b === 'string' : a === b
}

for (const dialect of dialects()) {
  describe(`${dialect}: properties`, () => {
    const t = useTestDb(dialect)
    const env = { QSM_RATE_LIMIT_PER_USER: '1000000', QSM_RATE_LIMIT_PER_IP: '1000000', QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_MAX_ENDPOINTS_PER_USER: '1000' }
    const lines: string[] = []
    const log = createLogger({ level: 'error', write: (l) => lines.push(l) })

    it(`POST /v1/webhooks: 201 or 422, never 500, and a 422 writes nothing (${RUNS} runs)`, async () => {
      const a = makeTestApp(t.db, { env, log })
      const statuses: Record<number, number> = {}
      await fc.assert(
        fc.asyncProperty(endpointBody, async (body) => {
          const before = await dumpAllRows(t.db)
          const res = await a.call('u1', 'POST', '/v1/webhooks', body)
          statuses[res.status] = (statuses[res.status] ?? 0) + 1
          expect([201, 422], JSON.stringify(res.json).slice(0, 300)).toContain(res.status)
          if (res.status === 422) {
            expect(res.json.error.details.length).toBeGreaterThan(0)
            expect(await dumpAllRows(t.db)).toBe(before)
          } else {
            const row = await t.db.db.selectFrom('endpoints').selectAll().where('id', '=', res.json.id).executeTakeFirstOrThrow()
            expect(row.user_id).toBe('u1')
            const b = body as Record<string, unknown>
            if ('description' in b) expect(sameText(b.description, row.description)).toBe(true)
            expect(JSON.stringify(row)).not.toContain('whsec_')
          }
        }),
        { numRuns: RUNS },
      )
      expect(lines.filter((l) => l.includes('unhandled error'))).toEqual([])
      // Both outcomes were exercised, so the property is not vacuous.
      expect(statuses[201] ?? 0).toBeGreaterThan(0)
      expect(statuses[422] ?? 0).toBeGreaterThan(0)
    }, 120_000)

    it(`PATCH /v1/webhooks/:id: 200 or 422, never 500, and a 422 leaves the row as it was (${RUNS} runs)`, async () => {
      const a = makeTestApp(t.db, { env, log })
      const id = (await a.call('u1', 'POST', '/v1/webhooks', { url: 'https://example.com/keep', event_types: ['*'] })).json.id
      await fc.assert(
        fc.asyncProperty(endpointBody, async (body) => {
          const before = await dumpAllRows(t.db)
          const res = await a.call('u1', 'PATCH', `/v1/webhooks/${id}`, body)
          expect([200, 422], JSON.stringify(res.json).slice(0, 300)).toContain(res.status)
          if (res.status === 422) expect(await dumpAllRows(t.db)).toBe(before)
          else {
            const read = await a.call('u1', 'GET', `/v1/webhooks/${id}`)
            const b = body as Record<string, unknown>
            if (typeof b.description === 'string') expect(sameText(b.description, read.json.description)).toBe(true)
            if (Array.isArray(b.event_types)) expect([...new Set(read.json.event_types)].sort()).toEqual([...new Set(b.event_types as string[])].sort())
            if (typeof b.is_active === 'boolean') expect(read.json.is_active).toBe(b.is_active)
          }
        }),
        { numRuns: RUNS },
      )
      expect(lines.filter((l) => l.includes('unhandled error'))).toEqual([])
    }, 120_000)

    /** A valid event with one field replaced, removed or added, or a string field made hostile. */
    const mutatedEvent = fc
      .record({
        type: fc.constantFrom(...BRIDGE_TYPES),
        user: fc.oneof(fc.constant('u1'), fc.constant('u2'), nastyString),
        mutation: fc.oneof(
          fc.constant({ kind: 'none' as const }),
          fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: anyValue }),
          fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
          fc.record({ kind: fc.constant('add' as const), key: nastyString, value: anyValue }),
          fc.record({ kind: fc.constant('string' as const), pick: fc.nat(), value: nastyString }),
        ),
      })
      .map(({ type, user, mutation }) => {
        const event = exampleEvent(type, user) as Record<string, any>
        // Every path to a leaf or object inside the event, so mutations reach nested data too.
        const paths: string[][] = []
        const walk = (v: unknown, p: string[]) => {
          if (p.length) paths.push(p)
          if (v && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...p, k])
        }
        walk(event, [])
        const strings = paths.filter((p) => typeof p.reduce<any>((o, k) => o?.[k], event) === 'string' && p[0] !== 'id' && p[0] !== 'type')
        const at = (list: string[][], n: number) => list[n % list.length]!
        const parentOf = (p: string[]) => p.slice(0, -1).reduce<any>((o, k) => o[k], event)
        if (mutation.kind === 'set') parentOf(at(paths, mutation.pick))[at(paths, mutation.pick).at(-1)!] = mutation.value
        if (mutation.kind === 'delete') delete parentOf(at(paths, mutation.pick))[at(paths, mutation.pick).at(-1)!]
        if (mutation.kind === 'add') event.data[mutation.key] = mutation.value
        if (mutation.kind === 'string' && strings.length) parentOf(at(strings, mutation.pick))[at(strings, mutation.pick).at(-1)!] = mutation.value
        return event
      })

    it(`POST /v1/events: 2xx or 4xx, never 500; a refusal writes nothing; an acceptance writes the event and its deliveries (${RUNS} runs)`, async () => {
      const a = makeTestApp(t.db, { env, log })
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['*'] })
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['email.*'] })
      await seedEndpoint(t.db, { userId: 'u2', eventTypes: ['usage.*', 'overflow.*'] })
      const statuses: Record<number, number> = {}
      await fc.assert(
        fc.asyncProperty(fc.array(mutatedEvent, { minLength: 1, maxLength: 3 }), fc.boolean(), async (events, asBatch) => {
          const before = await rowCounts(t.db)
          const beforeDump = await dumpAllRows(t.db)
          const body = asBatch || events.length > 1 ? { events } : events[0]
          const res = await postEvents(a.app, body, a.clock.now())
          statuses[res.status] = (statuses[res.status] ?? 0) + 1
          expect([200, 202, 413, 422], res.raw.slice(0, 300)).toContain(res.status)
          const after = await rowCounts(t.db)
          if (res.status >= 400) {
            expect(await dumpAllRows(t.db)).toBe(beforeDump)
            return
          }
          const fresh = (res.json.data as { id: string; deliveries: number; duplicate: boolean }[]).filter((d) => !d.duplicate)
          expect(after.events - before.events).toBe(fresh.length)
          expect(after.deliveries - before.deliveries).toBe(fresh.reduce((n, d) => n + d.deliveries, 0))
          for (const d of fresh) {
            const row = await t.db.db.selectFrom('events').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow()
            const sent = events.find((e) => e.id === d.id)!
            if (isWellFormed(JSON.stringify(sent)) && !JSON.stringify(sent).includes('\\u')) expect(JSON.parse(row.payload!)).toEqual(sent)
          }
        }),
        { numRuns: RUNS },
      )
      expect(lines.filter((l) => l.includes('unhandled error'))).toEqual([])
      expect(statuses[202] ?? 0).toBeGreaterThan(0)
      expect(statuses[422] ?? 0).toBeGreaterThan(0)
    }, 120_000)
  })
}
