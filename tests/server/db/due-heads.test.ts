// How deep the fair claim's first read goes into each endpoint (server/db/due-heads.ts): a runner
// reads only the rounds the users waiting need to fill its claim, and the claim then takes turns
// exactly as far as that read reaches.
import { describe, expect, it } from 'vitest'
import type { KyselyPlugin } from 'kysely'
import { useTestDb } from '../../helpers/db.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { claimFair, type FairShare } from '../../../server/delivery/claim.js'
import { PendingEndpoints } from '../../../server/db/pending-endpoints.js'
import type { Db } from '../../../server/db/connect.js'

const NOW = Date.UTC(2026, 11, 5, 15, 0, 0)
const LEASE = 60_000

for (const dialect of ['sqlite', 'mysql'] as const) {
  describe(`${dialect}: the depth of the fair claim's first read`, () => {
    const t = useTestDb(dialect)

    /** The database, noting the LIMIT of every probe of an endpoint's first due rows. */
    function noting(): { db: Db; limits: number[] } {
      const limits: number[] = []
      const plugin: KyselyPlugin = {
        transformQuery: ({ node }) => {
          // A probe is a raw fragment ending in "id limit " followed by the limit.
          const walk = (n: unknown): void => {
            if (!n || typeof n !== 'object') return
            const raw = n as { kind?: string; sqlFragments?: string[]; parameters?: unknown[]; value?: unknown }
            if (raw.kind === 'RawNode' && raw.sqlFragments && raw.parameters) {
              raw.sqlFragments.forEach((f, i) => {
                if (!f.endsWith('order by next_attempt_at, id limit ')) return
                // MySQL writes the limit into the text, SQLite passes it as a parameter.
                const lit = JSON.stringify(raw.parameters![i]).match(/"value":(\d+)/)
                if (lit) limits.push(Number(lit[1]))
              })
            }
            for (const v of Object.values(raw)) if (Array.isArray(v)) v.forEach(walk)
          }
          walk(node)
          return node
        },
        transformResult: async ({ result }) => result,
      }
      return { db: { ...t.db, db: t.db.db.withPlugin(plugin) }, limits }
    }

    const share = (pending: PendingEndpoints): FairShare => ({ perUser: 8, perEndpoint: 8, skipUsers: [], skipEndpoints: [], pending })

    it("reads one row of each endpoint when thirty users wait for a claim of ten, and takes the ten oldest users' first rows", async () => {
      for (let u = 0; u < 30; u++) {
        const e = await seedEndpoint(t.db, { userId: `u${String(u).padStart(2, '0')}`, at: NOW })
        for (let k = 0; k < 5; k++) await seedPair(t.db, { userId: `u${String(u).padStart(2, '0')}`, endpointId: e, at: NOW - 10_000 + k * 100 + u })
      }
      const { db, limits } = noting()
      const { claims } = await claimFair(db, { owner: 'w', nowMs: NOW, limit: 10, leaseMs: LEASE, fair: share(new PendingEndpoints()) })
      expect(limits).toHaveLength(30)
      expect(new Set(limits)).toEqual(new Set([1]))
      // Before, each endpoint was read as deep as the claim (10 rows each, 300 rows for 10).
      expect(claims.map((c) => c.user_id).sort()).toEqual(Array.from({ length: 10 }, (_, u) => `u${String(u).padStart(2, '0')}`))
    })

    it('gives a user with three endpoints no more turns than a user with one when it read them shallow', async () => {
      // "many" has three endpoints with older rows; "one" has one endpoint; "later" has only a row
      // due in ten minutes, so it is listed but has nothing to give. Not knowing the owners yet,
      // the first read counts five users and reads each endpoint two rows deep.
      const many = await Promise.all([0, 1, 2].map(() => seedEndpoint(t.db, { userId: 'many', at: NOW })))
      const one = await seedEndpoint(t.db, { userId: 'one', at: NOW })
      const later = await seedEndpoint(t.db, { userId: 'later', at: NOW })
      for (let k = 0; k < 6; k++) {
        for (const e of many) await seedPair(t.db, { userId: 'many', endpointId: e, at: NOW - 20_000 + k * 100 })
        await seedPair(t.db, { userId: 'one', endpointId: one, at: NOW - 10_000 + k * 100 })
      }
      await seedPair(t.db, { userId: 'later', endpointId: later, at: NOW + 600_000 })
      const pending = new PendingEndpoints()
      const count = (claims: { user_id: string }[], user: string) => claims.filter((c) => c.user_id === user).length

      const first = await claimFair(t.db, { owner: 'w1', nowMs: NOW, limit: 8, leaseMs: LEASE, fair: share(pending) })
      // Turns: many, one, many, one. Without the cut at the read's depth, "many"'s third to sixth
      // rows (read from its other endpoints) would have filled the claim ahead of "one"'s third.
      expect([count(first.claims, 'many'), count(first.claims, 'one')]).toEqual([2, 2])
      expect(first.deeper).toBe(true)

      // Now the owners are known and "later" was read empty: two users, four rounds each.
      const second = await claimFair(t.db, { owner: 'w2', nowMs: NOW, limit: 8, leaseMs: LEASE, fair: share(pending) })
      expect([count(second.claims, 'many'), count(second.claims, 'one')]).toEqual([4, 4])
    })

    it('ranks the rows of a user after the ones the claimer holds for it, when it read shallow', async () => {
      const holder = await seedEndpoint(t.db, { userId: 'holder', at: NOW })
      const fresh = await seedEndpoint(t.db, { userId: 'fresh', at: NOW })
      for (let k = 0; k < 6; k++) {
        await seedPair(t.db, { userId: 'holder', endpointId: holder, at: NOW - 20_000 + k })
        await seedPair(t.db, { userId: 'fresh', endpointId: fresh, at: NOW - 10_000 + k })
      }
      // The claimer already sends two of "holder"'s rows: its next ones are its third and fourth
      // turns. Two users, a claim of 4: each endpoint is read two rows deep, so "fresh"'s third
      // row is unread and "holder"'s third turn cannot be placed against it.
      const fair: FairShare = {
        ...share(new PendingEndpoints()),
        used: { users: new Map([['holder', 2]]), endpoints: new Map([[holder, 2]]) },
      }
      const { claims, deeper } = await claimFair(t.db, { owner: 'w', nowMs: NOW, limit: 4, leaseMs: LEASE, fair })
      expect(claims.map((c) => c.user_id)).toEqual(['fresh', 'fresh'])
      expect(deeper).toBe(true)
    })

    it('finds every endpoint with rows due, one with a deep backlog among a hundred with one row each, in a few statements', async () => {
      // Until 5 December MySQL found them one index dive (one statement) per endpoint: 3,000
      // endpoints waiting took 260–470 ms of round trips, once a second.
      const endpoints: string[] = []
      for (let u = 0; u < 100; u++) {
        const user = `u${String(u).padStart(3, '0')}`
        const e = await seedEndpoint(t.db, { userId: user, at: NOW + u })
        endpoints.push(e)
        await seedPair(t.db, { userId: user, endpointId: e, at: NOW - 10_000 + u })
        if (u === 50) {
          // Between the others in index order: the read must get past its backlog to reach them.
          const deep = await seedEndpoint(t.db, { userId: 'deep', at: NOW + u })
          endpoints.push(deep)
          await seedDue(deep, 'deep', 300)
        }
      }
      let statements = 0
      const counting: KyselyPlugin = { transformQuery: ({ node }) => { statements += 1; return node }, transformResult: async ({ result }) => result }
      const db = { ...t.db, db: t.db.db.withPlugin(counting) }
      const fair: FairShare = { perUser: 1, perEndpoint: 1, skipUsers: [], skipEndpoints: [], pending: new PendingEndpoints() }
      const { claims } = await claimFair(db, { owner: 'w', nowMs: NOW, limit: 200, leaseMs: LEASE, fair })
      expect(new Set(claims.map((c) => c.endpoint_id))).toEqual(new Set(endpoints))
      expect(statements).toBeLessThan(20)
    })

    /** `n` due rows of one endpoint, older than everything else seeded. */
    async function seedDue(endpointId: string, userId: string, n: number) {
      await t.db.db.insertInto('deliveries').values(Array.from({ length: n }, (_, j) => {
        const at = NOW - 60_000 + j
        return {
          id: `dlv_deep_${String(j).padStart(4, '0')}`, event_id: `evt_deep_${j}`, endpoint_id: endpointId, user_id: userId,
          event_type: 'email.received', status: 'pending', attempts: 0, next_attempt_at: at, lease_owner: null,
          last_status_code: null, last_error: null, last_attempt_at: null, last_duration_ms: null, created_at: at, updated_at: at,
        }
      })).execute()
    }

    it('reads as deep as the claim for one user, as before', async () => {
      const endpoints = await Promise.all([0, 1, 2].map(() => seedEndpoint(t.db, { userId: 'solo', at: NOW })))
      for (let k = 0; k < 10; k++) for (const e of endpoints) await seedPair(t.db, { userId: 'solo', endpointId: e, at: NOW - 10_000 + k })
      const pending = new PendingEndpoints()
      await claimFair(t.db, { owner: 'w1', nowMs: NOW, limit: 4, leaseMs: LEASE, fair: share(pending) })
      const { db, limits } = noting()
      const { claims, deeper } = await claimFair(db, { owner: 'w2', nowMs: NOW, limit: 8, leaseMs: LEASE, fair: share(pending) })
      expect(claims).toHaveLength(8)
      expect(deeper).toBe(false)
      expect(Math.max(...limits)).toBe(8)
    })
  })
}
