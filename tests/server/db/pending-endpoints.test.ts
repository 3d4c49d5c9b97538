// The fair claim's list of endpoints with pending rows, kept by a runner across its claims
// (server/db/pending-endpoints.ts): reused while fresh, read again after a wake or once it is old.
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

    /** The database, counting the statements that look for endpoints with pending rows. */
    function counting(): { db: Db; lookups: () => number } {
      let n = 0
      const plugin: KyselyPlugin = {
        transformQuery: ({ node }) => {
          const text = JSON.stringify(node)
          if (node.kind === 'RawNode' && (text.includes('min(endpoint_id)') || text.includes('with recursive'))) n += 1
          return node
        },
        transformResult: async ({ result }) => result,
      }
      return { db: { ...t.db, db: t.db.db.withPlugin(plugin) }, lookups: () => n }
    }

    const fair = (pending: PendingEndpoints): FairShare => ({ perUser: 10, perEndpoint: 10, skipUsers: [], skipEndpoints: [], pending })
    const claim = (db: Db, pending: PendingEndpoints, owner: string) =>
      claimFair(db, { owner, nowMs: NOW + 1_000, limit: 10, leaseMs: LEASE, fair: fair(pending) })

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

      // Committed by this process: the runner's wake forgets the list.
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
  })
}
