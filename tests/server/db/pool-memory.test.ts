import { describe, expect, it } from 'vitest'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { sql } from 'kysely'
import { connect } from '../../../server/db/connect.js'
import { mysqlAdminUrl } from '../../helpers/dialects.js'

// A full collection on demand, so the heap measured is what the connections keep, not garbage.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const admin = mysqlAdminUrl()

describe.runIf(admin)('MariaDB connection pool', () => {
  it('keeps well under 100 KB of heap per open connection (mysql2 made ~0.5 MB each for a statement cache nothing uses)', async () => {
    const db = await connect(admin!, { poolSize: 24 })
    try {
      gc()
      const before = process.memoryUsage().heapUsed
      // 24 queries at once that each hold their connection for 50 ms: the pool opens all 24.
      await Promise.all(Array.from({ length: 24 }, () => sql`select sleep(0.05)`.execute(db.db)))
      gc()
      const perConnection = (process.memoryUsage().heapUsed - before) / 23
      expect(perConnection).toBeLessThan(100_000)
    } finally {
      await db.close()
    }
  })
})
