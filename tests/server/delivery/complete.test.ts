// Recording results: a batch is written only for rows whose lease is still the claim's, and a row
// another runner has taken since keeps that runner's state, whichever path wrote the batch.
import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { testConfig } from '../../helpers/config.js'
import { claimDue, type Claim } from '../../../server/delivery/claim.js'
import { finishDeliveries } from '../../../server/delivery/complete.js'
import { afterSend } from '../../../server/delivery/outcome.js'
import type { SendResult } from '../../../server/delivery/types.js'

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0)
const LEASE = 60_000
const config = testConfig()
const answered = (statusCode: number, durationMs = 7): SendResult => ({
  ok: statusCode < 300, statusCode, durationMs, errorClass: statusCode < 300 ? null : 'http_error', error: statusCode < 300 ? null : `HTTP ${statusCode}`, retryAfterMs: null, responseExcerpt: '',
})
const finished = (claim: Claim, statusCode: number, durationMs?: number) =>
  afterSend(claim, answered(statusCode, durationMs), NOW + 10, NOW + 20, config, () => 0.5, 'scheduled')

for (const dialect of dialects()) {
  describe(`${dialect}: recording results`, () => {
    const t = useTestDb(dialect)

    async function claimed(n: number): Promise<Claim[]> {
      const endpointId = await seedEndpoint(t.db, { userId: 'u1' })
      for (let i = 0; i < n; i++) await seedPair(t.db, { userId: 'u1', endpointId, at: NOW - 1_000 + i })
      return claimDue(t.db, { owner: 'a', nowMs: NOW, limit: n, leaseMs: LEASE })
    }
    const row = (id: string) => t.db.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const attemptsOf = (id: string) => t.db.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', id).execute()

    it('marks a batch of successes delivered, each with its own status, duration and attempt', async () => {
      const claims = await claimed(3)
      const applied = await finishDeliveries(t.db, claims.map((c, i) => finished(c, 200 + i, 5 + i)), NOW + 30)
      expect(applied).toHaveLength(3)
      for (const [i, c] of claims.entries()) {
        expect(await row(c.id)).toMatchObject({ status: 'succeeded', lease_owner: null, next_attempt_at: null, last_status_code: 200 + i, last_duration_ms: 5 + i })
        expect((await attemptsOf(c.id)).map((a) => [a.attempt, a.status_code])).toEqual([[1, 200 + i]])
      }
    })

    it('leaves alone the one row of a batch another runner took after the lease ran out, and records the rest', async () => {
      const claims = await claimed(3)
      // The lease of the second row ran out and runner b claimed it again.
      await t.db.db.updateTable('deliveries').set({ next_attempt_at: NOW - 1 }).where('id', '=', claims[1]!.id).execute()
      const [taken] = await claimDue(t.db, { owner: 'b', nowMs: NOW + 1, limit: 10, leaseMs: LEASE })
      expect(taken!.id).toBe(claims[1]!.id)

      const applied = await finishDeliveries(t.db, claims.map((c) => finished(c, 200)), NOW + 30)
      expect(applied.map((f) => f.claim.id)).toEqual([claims[0]!.id, claims[2]!.id])
      expect(await row(claims[1]!.id)).toMatchObject({ status: 'pending', lease_owner: 'b', attempts: 0 })
      expect(Number((await row(claims[1]!.id)).next_attempt_at)).toBe(taken!.leaseUntil)
      expect(await attemptsOf(claims[1]!.id)).toEqual([])
      for (const c of [claims[0]!, claims[2]!]) {
        expect(await row(c.id)).toMatchObject({ status: 'succeeded', lease_owner: null })
        expect(await attemptsOf(c.id)).toHaveLength(1)
      }
    })

    it('drops a failed result whose row was taken over, while the successes beside it are recorded', async () => {
      const claims = await claimed(2)
      await t.db.db.updateTable('deliveries').set({ next_attempt_at: NOW - 1 }).where('id', '=', claims[1]!.id).execute()
      await claimDue(t.db, { owner: 'b', nowMs: NOW + 1, limit: 10, leaseMs: LEASE })

      const applied = await finishDeliveries(t.db, [finished(claims[0]!, 200), finished(claims[1]!, 503)], NOW + 30)
      expect(applied.map((f) => f.claim.id)).toEqual([claims[0]!.id])
      expect(await row(claims[0]!.id)).toMatchObject({ status: 'succeeded' })
      expect(await row(claims[1]!.id)).toMatchObject({ status: 'pending', lease_owner: 'b', last_error: null })
      expect(await attemptsOf(claims[1]!.id)).toEqual([])
    })

    it("records a batch holding two runners' successes, each row still its runner's", async () => {
      const mine = await claimed(1)
      const endpointId = await seedEndpoint(t.db, { userId: 'u2' })
      await seedPair(t.db, { userId: 'u2', endpointId, at: NOW - 1_000 })
      const theirs = await claimDue(t.db, { owner: 'b', nowMs: NOW, limit: 10, leaseMs: LEASE })
      expect(theirs).toHaveLength(1)
      const applied = await finishDeliveries(t.db, [finished(mine[0]!, 200), finished(theirs[0]!, 201)], NOW + 30)
      expect(applied).toHaveLength(2)
      expect(await row(mine[0]!.id)).toMatchObject({ status: 'succeeded', last_status_code: 200 })
      expect(await row(theirs[0]!.id)).toMatchObject({ status: 'succeeded', last_status_code: 201 })
    })

    it('schedules the retry of a failed result that is still ours', async () => {
      const [claim] = await claimed(1)
      const [applied] = await finishDeliveries(t.db, [finished(claim!, 503)], NOW + 30)
      expect(applied!.status).toBe('pending')
      const after = await row(claim!.id)
      expect(after).toMatchObject({ status: 'pending', lease_owner: null, attempts: 1, last_status_code: 503 })
      expect(Number(after.next_attempt_at)).toBe(applied!.nextAttemptAt)
    })
  })
}
