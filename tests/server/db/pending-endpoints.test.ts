// The fair claim's list of endpoints with pending rows, kept by a runner across its claims
// (server/db/pending-endpoints.ts): reused while fresh, read again after a wake or once it is old.
// And each endpoint's first due rows (its heads): only the endpoints whose rows a claim took are
// read again by the next one, so 300 users' waiting endpoints are not all read for every 32 rows.
import { describe, expect, it } from 'vitest'
import type { KyselyPlugin } from 'kysely'
import { useTestDb } from '../../helpers/db.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { claimFair, type FairShare } from '../../../server/delivery/claim.js'
import { MAX_AGE_MS, PendingEndpoints } from '../../../server/db/pending-endpoints.js'
import type { Db } from '../../../server/db/connect.js'

const NOW = Date.UTC(2026, 11, 4, 9, 0, 0)
const LEASE = 60_000

for (const dialect of ['sqlite', 'mysql'] as const) {
  describe(`${dialect}: the list of endpoints with pending rows`, () => {
    const t = useTestDb(dialect)

    /** The database, counting the statements that look for endpoints with pending rows, and the endpoints probed for their heads. */
    function counting(): { db: Db; lookups: () => number; probes: () => number } {
      let n = 0
      let probes = 0
      const plugin: KyselyPlugin = {
        transformQuery: ({ node }) => {
          const text = JSON.stringify(node)
          // The list: MySQL's scan past each endpoint's rows, SQLite's recursive seek.
          if (node.kind === 'RawNode' && text.includes("status = 'pending' and endpoint_id > ")) n += 1
          if (node.kind === 'RawNode') probes += (text.match(/order by next_attempt_at, id limit/g) ?? []).length
          return node
        },
        transformResult: async ({ result }) => result,
      }
      return { db: { ...t.db, db: t.db.db.withPlugin(plugin) }, lookups: () => n, probes: () => probes }
    }

    /** Six users with an endpoint each and three due rows on it, user k's rows oldest for smaller k. */
    async function sixUsers(): Promise<{ endpoints: string[]; rows: Map<string, string[]> }> {
      const endpoints: string[] = []
      const rows = new Map<string, string[]>()
      for (let u = 0; u < 6; u++) {
        const e = await seedEndpoint(t.db, { userId: `u${u}`, at: NOW })
        endpoints.push(e)
        const ids: string[] = []
        for (let k = 0; k < 3; k++) ids.push((await seedPair(t.db, { userId: `u${u}`, endpointId: e, at: NOW + k * 10 + u })).deliveryId)
        rows.set(e, ids)
      }
      return { endpoints, rows }
    }

    const fair = (pending: PendingEndpoints): FairShare => ({ perUser: 10, perEndpoint: 10, skipUsers: [], skipEndpoints: [], pending })
    const claim = (db: Db, pending: PendingEndpoints, owner: string) =>
      claimFair(db, { owner, nowMs: NOW + 1_000, limit: 10, leaseMs: LEASE, fair: fair(pending) })

    /**
     * Claims by a worker's runner: its memory keeps heads with rows a second, the list and empty
     * heads its 250 ms poll. Each call is a claim `ms` after the first, on both clocks.
     */
    function workerClaims() {
      let clock = 0
      const pending = new PendingEndpoints(() => clock, MAX_AGE_MS, 250)
      return (ms: number) => {
        clock = ms
        return claimFair(t.db, { owner: 'r', nowMs: NOW + 1_000 + ms, limit: 10, leaseMs: LEASE, fair: fair(pending) })
      }
    }

    it('looks for endpoints once, and the next claim within a second uses what it found', async () => {
      const a = await seedEndpoint(t.db, { userId: 'u1', at: NOW })
      await seedPair(t.db, { userId: 'u1', endpointId: a, at: NOW })
      await seedPair(t.db, { userId: 'u1', endpointId: a, at: NOW + 1 })
      let clock = 0
      const pending = new PendingEndpoints(() => clock)
      const { db, lookups } = counting()
      expect((await claimFair(db, { owner: 'r', nowMs: NOW + 1_000, limit: 1, leaseMs: LEASE, fair: fair(pending) })).claims).toHaveLength(1)
      const first = lookups()
      expect(first).toBeGreaterThan(0)
      clock += 10
      expect((await claim(db, pending, 'r')).claims).toHaveLength(1)
      expect(lookups()).toBe(first)
    })

    it("claims a new endpoint's rows at once after a wake, and within a second without one", async () => {
      const a = await seedEndpoint(t.db, { userId: 'u1', at: NOW })
      await seedPair(t.db, { userId: 'u1', endpointId: a, at: NOW })
      let clock = 0
      const pending = new PendingEndpoints(() => clock)
      expect((await claim(t.db, pending, 'r')).claims.map((c) => c.endpoint_id)).toEqual([a])

      // Committed here, told without endpoints (a redelivery, the poll): the list is forgotten.
      const b = await seedEndpoint(t.db, { userId: 'u2', at: NOW })
      await seedPair(t.db, { userId: 'u2', endpointId: b, at: NOW })
      pending.forget()
      expect((await claim(t.db, pending, 'r')).claims.map((c) => c.endpoint_id)).toEqual([b])

      // Committed by another process: no wake here, so seen once the list is MAX_AGE_MS old.
      const c = await seedEndpoint(t.db, { userId: 'u3', at: NOW })
      await seedPair(t.db, { userId: 'u3', endpointId: c, at: NOW })
      clock += MAX_AGE_MS
      expect((await claim(t.db, pending, 'r')).claims.map((x) => x.endpoint_id)).toEqual([c])
    })

    it("sees another process's row on an endpoint just found with nothing due within the poll, not a second later", async () => {
      const a = await seedEndpoint(t.db, { userId: 'u1', at: NOW })
      await seedPair(t.db, { userId: 'u1', endpointId: a, at: NOW })
      const at = workerClaims()
      expect((await at(0)).claims).toHaveLength(1)
      // Its row is leased now: the next claim finds nothing due there and remembers that.
      expect((await at(10)).claims).toEqual([])

      // Another process commits a new row for the same endpoint; nothing here is told.
      const { deliveryId } = await seedPair(t.db, { userId: 'u1', endpointId: a, at: NOW + 500 })
      expect((await at(100)).claims).toEqual([])
      // 250 ms after the empty read, not MAX_AGE_MS.
      expect((await at(260)).claims.map((c) => c.id)).toEqual([deliveryId])
    })

    it("sees another process's row on an endpoint that had no pending rows at all within the poll, not a second later", async () => {
      const a = await seedEndpoint(t.db, { userId: 'u1', at: NOW })
      const b = await seedEndpoint(t.db, { userId: 'u2', at: NOW })
      await seedPair(t.db, { userId: 'u2', endpointId: b, at: NOW })
      const at = workerClaims()
      // The list read here has b only: a has no rows.
      expect((await at(0)).claims.map((c) => c.endpoint_id)).toEqual([b])

      const { deliveryId } = await seedPair(t.db, { userId: 'u1', endpointId: a, at: NOW + 500 })
      expect((await at(100)).claims).toEqual([])
      // The list is 250 ms old: read again, with a in it.
      expect((await at(250)).claims.map((c) => c.id)).toEqual([deliveryId])
    })

    it("after new rows of one endpoint are committed here, probes only that endpoint again and claims its row in turn", async () => {
      const { endpoints, rows } = await sixUsers()
      const pending = new PendingEndpoints(() => 0)
      const { db, probes, lookups } = counting()
      const oneEach = (owner: string) => claimFair(db, { owner, nowMs: NOW + 1_000, limit: 2, leaseMs: LEASE, fair: { ...fair(pending), perEndpoint: 1 } })
      expect((await oneEach('r')).claims.map((c) => c.id)).toEqual([rows.get(endpoints[0]!)![0], rows.get(endpoints[1]!)![0]])
      const [listed, probed] = [lookups(), probes()]
      // A seventh user's event, older than the others' remaining rows, committed by this process:
      // the desk tells the runner its endpoint (scheduler.ts), not "forget everything".
      const fresh = await seedEndpoint(t.db, { userId: 'u6', at: NOW })
      const { deliveryId } = await seedPair(t.db, { userId: 'u6', endpointId: fresh, at: NOW - 5_000 })
      pending.touch([fresh])
      const next = await oneEach('r')
      // The two endpoints whose rows were taken, and the new one; no new list.
      expect(probes() - probed).toBe(3)
      expect(lookups()).toBe(listed)
      expect(next.claims.map((c) => c.id)).toEqual([deliveryId, rows.get(endpoints[2]!)![0]])
    })

    it('does not keep what a read in flight found for an endpoint touched meanwhile, nor a list read while everything was forgotten', () => {
      const p = new PendingEndpoints(() => 0)
      const row = (e: string) => ({ id: `d_${e}`, endpoint_id: e, user_id: 'u', next_attempt_at: NOW })
      const since = p.mark()
      // The read found a and b with nothing due of b; then b's new rows were committed here.
      p.touch(['b'])
      p.remember(['a', 'b'], since)
      p.rememberHeads('a', [row('a')], 1, NOW, since)
      p.rememberHeads('b', [], 1, NOW, since)
      expect(p.headsOf('a', NOW, 1)).toEqual([row('a')])
      expect(p.headsOf('b', NOW, 1)).toBeUndefined()
      // A touch of an endpoint the read did not list adds it to the list.
      const again = p.mark()
      p.touch(['c'])
      p.remember(['a'], again)
      expect(p.fresh()).toEqual(['a', 'c'])
      // Forgotten during a read: neither its list nor its heads are kept.
      const third = p.mark()
      p.forget()
      p.remember(['a'], third)
      p.rememberHeads('a', [row('a')], 1, NOW, third)
      expect(p.fresh()).toBeNull()
      expect(p.headsOf('a', NOW, 1)).toBeUndefined()
    })

    it('still asks a left-out user whether it has rows due, from the owners it remembers', async () => {
      const a = await seedEndpoint(t.db, { userId: 'busy', at: NOW })
      const b = await seedEndpoint(t.db, { userId: 'calm', at: NOW })
      await seedPair(t.db, { userId: 'busy', endpointId: a, at: NOW })
      await seedPair(t.db, { userId: 'busy', endpointId: a, at: NOW + 1 })
      await seedPair(t.db, { userId: 'calm', endpointId: b, at: NOW + 2 })
      const pending = new PendingEndpoints(() => 0)
      const leftOutBusy = { ...fair(pending), skipUsers: ['busy'] }
      for (const owner of ['r1', 'r2']) {
        const got = await claimFair(t.db, { owner, nowMs: NOW + 1_000, limit: 10, leaseMs: LEASE, fair: leftOutBusy })
        expect(got.leftOut).toEqual(new Set(['u:busy']))
        expect(got.claims.every((x) => x.user_id === 'calm')).toBe(true)
      }
    })

    it("reads again only the endpoints whose rows a claim took, and picks what a fresh read would", async () => {
      const { endpoints, rows } = await sixUsers()
      const pending = new PendingEndpoints(() => 0)
      const { db, probes } = counting()
      const twoAtATime = (owner: string, p: PendingEndpoints, on: Db) =>
        claimFair(on, { owner, nowMs: NOW + 1_000, limit: 2, leaseMs: LEASE, fair: { ...fair(p), perEndpoint: 1 } })
      const first = await twoAtATime('r', pending, db)
      // Every user's oldest row first, oldest users first.
      expect(first.claims.map((c) => c.id)).toEqual([rows.get(endpoints[0]!)![0], rows.get(endpoints[1]!)![0]])
      expect(probes()).toBe(6)
      const second = await twoAtATime('r', pending, db)
      expect(probes()).toBe(8)
      // The same as a claimer with nothing remembered would take: users 2 and 3's oldest.
      expect(second.claims.map((c) => c.id)).toEqual([rows.get(endpoints[2]!)![0], rows.get(endpoints[3]!)![0]])
      const third = await twoAtATime('r', pending, db)
      expect(third.claims.map((c) => c.id)).toEqual([rows.get(endpoints[4]!)![0], rows.get(endpoints[5]!)![0]])
      const fourth = await twoAtATime('r', pending, db)
      expect(fourth.claims.map((c) => c.id)).toEqual([rows.get(endpoints[0]!)![1], rows.get(endpoints[1]!)![1]])
      expect(probes()).toBe(12)
    })

    it('never claims a row another process leased after this runner read it, and goes on to the rest', async () => {
      const { endpoints, rows } = await sixUsers()
      const mine = new PendingEndpoints(() => 0)
      const take = (owner: string, p: PendingEndpoints, limit: number) =>
        claimFair(t.db, { owner, nowMs: NOW + 1_000, limit, leaseMs: LEASE, fair: { ...fair(p), perEndpoint: 1 } })
      expect((await take('r', mine, 1)).claims.map((c) => c.id)).toEqual([rows.get(endpoints[0]!)![0]])
      // Another process (its own memory) leases users 1–3's oldest rows, which this runner holds as heads.
      const theirs = (await take('other', new PendingEndpoints(() => 0), 3)).claims.map((c) => c.id)
      expect(theirs).toEqual([1, 2, 3].map((u) => rows.get(endpoints[u]!)![0]))
      const next = (await take('r', mine, 3)).claims.map((c) => c.id)
      expect(next.filter((id) => theirs.includes(id))).toEqual([])
      expect(next).toEqual([rows.get(endpoints[4]!)![0], rows.get(endpoints[5]!)![0], rows.get(endpoints[0]!)![1]])
      const leased = await t.db.db.selectFrom('deliveries').select(['id', 'lease_owner']).where('lease_owner', 'is not', null).execute()
      expect(leased).toHaveLength(7)
    })

    it('reads again an endpoint whose rows were given back, and every endpoint after a wake, a second or a new list', () => {
      let clock = 0
      const p = new PendingEndpoints(() => clock)
      p.remember(['a', 'b'])
      const row = (e: string) => ({ id: `d_${e}`, endpoint_id: e, user_id: 'u', next_attempt_at: NOW })
      p.rememberHeads('a', [row('a')], 2, NOW)
      p.rememberHeads('b', [row('b')], 1, NOW)
      expect(p.headsOf('a', NOW + 10, 2)).toEqual([row('a')])
      // Read with a smaller limit than asked now: read again.
      expect(p.headsOf('b', NOW + 10, 2)).toBeUndefined()
      expect(p.headsOf('b', NOW + 10, 1)).toEqual([row('b')])
      // Old by the claim's clock (a test's clock moved a minute on: a retry may be due now).
      expect(p.headsOf('a', NOW + MAX_AGE_MS, 2)).toBeUndefined()
      p.dropHeads(['a'])
      expect(p.headsOf('a', NOW + 10, 2)).toBeUndefined()
      expect(p.headsOf('b', NOW + 10, 1)).toBeDefined()
      p.forget()
      expect(p.headsOf('b', NOW + 10, 1)).toBeUndefined()
      // A new list drops the heads of endpoints no longer in it.
      p.remember(['a'])
      p.rememberHeads('a', [row('a')], 1, NOW)
      p.rememberHeads('b', [row('b')], 1, NOW)
      p.remember(['b'])
      expect(p.headsOf('a', NOW, 1)).toBeUndefined()
      expect(p.headsOf('b', NOW, 1)).toBeDefined()
    })
  })
}
