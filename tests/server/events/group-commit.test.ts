import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { seedEndpoint } from '../../helpers/seed.js'
import { createIngestBatcher, MAX_QUEUED_EVENTS } from '../../../server/events/group-commit.js'
import { ApiError } from '../../../server/http/errors.js'
import { incoming } from '../../helpers/incoming.js'

for (const dialect of dialects()) {
  describe(`${dialect}: ingest group commit`, () => {
    const t = useTestDb(dialect)

    it('writes requests that arrive together in fewer transactions, answering each with its own events', async () => {
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['email.*'] })
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['*'] })
      let commits = 0
      const batcher = createIngestBatcher(t.db, () => Date.now(), () => commits++)
      const requests = Array.from({ length: 40 }, (_, i) => [incoming('u1'), ...(i % 2 ? [incoming('u1')] : [])])
      const answers = await Promise.all(requests.map((events) => batcher.submit(events)))
      answers.forEach((results, i) => {
        expect(results.map((r) => r.id)).toEqual(requests[i]!.map((e) => e.event.id))
        for (const r of results) expect(r).toMatchObject({ deliveries: 2, duplicate: false })
      })
      expect(commits).toBeGreaterThan(0)
      expect(commits).toBeLessThan(40)
      const events = await t.db.db.selectFrom('events').select('id').execute()
      const deliveries = await t.db.db.selectFrom('deliveries').select('id').execute()
      expect([events.length, deliveries.length]).toEqual([60, 120])
    })

    it('counts the events waiting to be stored until their batch has committed', async () => {
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['*'] })
      const batcher = createIngestBatcher(t.db, () => Date.now(), () => {})
      expect(batcher.waiting()).toBe(0)
      const a = batcher.submit([incoming('u1'), incoming('u1')])
      const b = batcher.submit([incoming('u1')])
      const c = batcher.submit([incoming('u1'), incoming('u1'), incoming('u1')])
      // Queued or being written, all six are still owed their answer.
      expect(batcher.waiting()).toBe(6)
      await a
      expect(batcher.waiting()).toBeLessThan(6)
      await Promise.all([b, c])
      expect(batcher.waiting()).toBe(0)
    })

    it('fails only the request whose write fails, not the others in its batch', async () => {
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['*'] })
      const batcher = createIngestBatcher(t.db, () => Date.now(), () => {})
      // Occupy the writer so the next three requests queue up and go as one batch.
      const first = batcher.submit([incoming('u1')])
      const good1 = batcher.submit([incoming('u1')])
      const broken = batcher.submit([incoming('u1', { occurred_at: 'not a date' })])
      const good2 = batcher.submit([incoming('u1')])
      const settled = await Promise.allSettled([first, good1, broken, good2])
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
      expect((await t.db.db.selectFrom('events').select('id').execute()).length).toBe(3)
      expect((await t.db.db.selectFrom('deliveries').select('id').execute()).length).toBe(3)
    })

    it('refuses a request with 503 and Retry-After once the queue holds its limit, and stores none of it', async () => {
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['*'] })
      const batcher = createIngestBatcher(t.db, () => Date.now(), () => {})
      const size = 100
      // Submitted without yielding, so no batch can finish meanwhile. The first requests go to the
      // writer at once (one on SQLite, up to four on MySQL); the next queue up to the limit; the
      // rest are refused at once.
      const requests = Array.from({ length: MAX_QUEUED_EVENTS / size + 10 }, () => Array.from({ length: size }, () => incoming('u1')))
      const settled = await Promise.allSettled(requests.map((events) => batcher.submit(events)))
      const firstRefused = settled.findIndex((r) => r.status === 'rejected')
      expect(firstRefused).toBeGreaterThanOrEqual(MAX_QUEUED_EVENTS / size + 1)
      expect(firstRefused).toBeLessThanOrEqual(MAX_QUEUED_EVENTS / size + 4)
      expect(settled.slice(firstRefused).every((r) => r.status === 'rejected')).toBe(true)
      const err = (settled[firstRefused] as PromiseRejectedResult).reason
      expect(err).toBeInstanceOf(ApiError)
      expect([(err as ApiError).status, (err as ApiError).headers]).toEqual([503, { 'Retry-After': '1' }])
      const accepted = requests.slice(0, firstRefused)
      const refused = requests[firstRefused]!
      const stored = new Set((await t.db.db.selectFrom('events').select('id').execute()).map((r) => r.id))
      expect(stored.size).toBe(accepted.length * size)
      expect(refused.some((e) => stored.has(e.event.id))).toBe(false)
      // Once the queue drained, the same request is taken.
      expect((await batcher.submit(refused)).every((r) => !r.duplicate)).toBe(true)
    }, 60_000)
  })
}
