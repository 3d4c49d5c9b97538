// Prototype group-commit ingest (procs/group-commit-ingest.ts) on the same database and endpoints,
// closed loop like the service's ingest run. Not a service figure: the service's own front door and
// ingest batcher with no delivery loop (Findings in bench/README.md).
import { spawnTs } from '../lib/proc.js'
import { runLoad } from '../lib/load.js'
import type { BenchDb } from '../lib/database.js'
import type { RawSql } from '../lib/raw-sql.js'
import { sampleUsage } from '../lib/rss.js'
import { closeLedger, emptyTables } from '../lib/phase.js'
import { TEST_SECRETS, profArgs } from '../lib/service.js'
import type { Profile } from '../profile.js'
import type { Phase } from './service.js'

export async function groupCommitRun(p: Profile, db: BenchDb, sql: RawSql, endpoints: number): Promise<Phase> {
  await emptyTables(sql)
  const child = spawnTs('bench/procs/group-commit-ingest.ts', { url: db.url, bridgeSecret: TEST_SECRETS.QSM_BRIDGE_SECRET }, { nodeArgs: profArgs() })
  try {
    const port = await child.next((m) => (m.ready ? (m.port as number) : undefined), 30_000)
    const sampler = sampleUsage({ service: child.pid })
    const load = await runLoad({ url: `http://127.0.0.1:${port}/v1/events`, mode: 'closed', connections: p.closedConnections, durationMs: p.closedMs, warmupMs: p.warmupMs })
    const usage = sampler.stop()
    // No delivery loop runs here, so every accepted event's deliveries must still be pending.
    return { load, ledger: await closeLedger(sql, load.accepted, endpoints), usage, settleMs: 0 }
  } finally {
    await child.stop()
  }
}
