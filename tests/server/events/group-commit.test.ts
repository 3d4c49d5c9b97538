import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { seedEndpoint } from '../../helpers/seed.js'
import { createIngestBatcher } from '../../../server/events/group-commit.js'
import { EXAMPLES } from '../../../server/events/examples.js'
import { newId } from '../../../server/db/ids.js'
import type { IncomingEvent } from '../../../server/events/parse-body.js'

function incoming(userId: string, overrides: Record<string, unknown> = {}): IncomingEvent {
  const event = { ...EXAMPLES['email.received'], id: newId('evt'), user_id: userId, ...overrides } as any
  return { event, payload: JSON.stringify(event) }
}

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
  })
}
