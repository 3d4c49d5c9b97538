import { describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { seedEndpoint } from '../helpers/seed.js'
import { makeTestApp } from '../helpers/app.js'
import { incoming } from '../helpers/incoming.js'

for (const dialect of dialects()) {
  describe(`${dialect}: one process's parts`, () => {
    const t = useTestDb(dialect)

    it("gives the process's send slots to events waiting to be stored, and takes them back once stored", async () => {
      await seedEndpoint(t.db, { userId: 'u1', eventTypes: ['*'] })
      const { deps } = makeTestApp(t.db, { env: { QSM_CONCURRENCY: '64' } })
      expect(deps.limiter.total).toBe(64)
      const stored = Promise.all(Array.from({ length: 12 }, () => deps.ingest.submit([incoming('u1')])))
      expect(deps.limiter.total).toBe(64 - 2 * 12)
      await stored
      expect(deps.limiter.total).toBe(64)
    })
  })
}
