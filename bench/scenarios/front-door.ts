// The service's own front door alone: the real web process started with QSM_WEB_DELIVERY=false, so
// it stores events and answers and sends nothing, in the same closed loop as the ingest phase. The
// like of BullMQ's front door with no Worker running, and what the closed-loop ingest would be if
// the sends were put off while the loop runs (docs/decisions/0005). Every accepted event's
// deliveries must still be pending afterwards, and the ledger counts them so.
import type { BenchDb } from '../lib/database.js'
import type { RawSql } from '../lib/raw-sql.js'
import type { Entry } from '../lib/build.js'
import { startWeb } from '../lib/service.js'
import type { Receiver } from '../lib/receiver-client.js'
import { runLoad } from '../lib/load.js'
import { sampleUsage } from '../lib/rss.js'
import { closeLedger, emptyTables } from '../lib/phase.js'
import type { Profile } from '../profile.js'
import type { Phase } from './service.js'

/** Runs on the database the ingest phases used, with the same endpoints. */
export async function frontDoorRun(p: Profile, db: BenchDb, sql: RawSql, entry: Entry, receiver: Receiver, endpoints: number, dbPid: number | null): Promise<Phase> {
  await emptyTables(sql)
  const web = await startWeb(entry, db.url, { QSM_WEB_DELIVERY: 'false' })
  try {
    await receiver.reset()
    const sampler = sampleUsage(dbPid ? { service: web.child.pid, database: dbPid } : { service: web.child.pid })
    const load = await runLoad({ url: `${web.base}/v1/events`, mode: 'closed', connections: p.closedConnections, durationMs: p.closedMs, warmupMs: p.warmupMs })
    const usage = sampler.stop()
    const received = await receiver.waitFor(1, 500)
    const ledger = await closeLedger(sql, load.accepted, endpoints, received)
    // Nothing may have been sent: a request at the receiver would mean the setting did not hold.
    ledger.balanced &&= received.count === 0 && ledger.pending === ledger.expected
    await emptyTables(sql)
    return { load, ledger, usage, settleMs: 0 }
  } finally {
    await web.stop()
  }
}
