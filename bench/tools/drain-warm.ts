// The worker's drain twice in one process: cold (the process just started, its code not yet
// optimised) and then warm (a second backlog seeded while it runs). BullMQ's drain in the full run
// is measured in a process that has already served the ingest phases, so it is always warm; this
// says how much of the gap that is. Not a source of published figures.
//
//   npx tsx bench/tools/drain-warm.ts --dialect=mysql --runs=2
import { loadavg } from 'node:os'
import { buildService } from '../lib/build.js'
import { Receiver } from '../lib/receiver-client.js'
import { freshDatabase, type Dialect } from '../lib/database.js'
import { openRaw } from '../lib/raw-sql.js'
import { createEndpoints, startCli, startWeb } from '../lib/service.js'
import { seedBacklog } from '../lib/seed.js'
import { emptyTables, waitDrained } from '../lib/phase.js'
import { killAll } from '../lib/proc.js'
import { FULL } from '../profile.js'
import { ENDPOINTS } from '../scenarios/service.js'

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt
const dialect = arg('dialect', 'mysql') as Dialect
const runs = Number(arg('runs', '1'))
const log = (s: string) => process.stderr.write(`${s}\n`)

const entry = await buildService()
const receiver = await Receiver.start()
try {
  for (let r = 1; r <= runs; r++) {
    const load = loadavg().map((x) => x.toFixed(2)).join(' ')
    const db = await freshDatabase(dialect)
    const sql = openRaw(db.url, 4)
    const web = await startWeb(entry, db.url)
    const endpointIds = await createEndpoints(web.base, receiver.port, ENDPOINTS)
    await web.stop()
    const worker = startCli(entry, 'worker', db.url)
    try {
      const rates: number[] = []
      for (const _ of ['cold', 'warm']) {
        await emptyTables(sql)
        const seeded = await seedBacklog(sql, FULL.drainDeliveries, endpointIds)
        await receiver.reset()
        const got = await receiver.waitFor(seeded, FULL.settleMs)
        await waitDrained(sql, 5000)
        rates.push(Math.round((got.unique / (got.lastAt - got.firstAt)) * 1000))
      }
      log(`[${dialect} drain, load ${load}] cold ${rates[0]}/s, then warm ${rates[1]}/s (same worker process)`)
    } finally {
      await worker.stop('SIGTERM', 15_000)
      await sql.close()
      await db.drop()
    }
  }
} finally {
  await receiver.stop()
  killAll()
}
process.exit(0)
