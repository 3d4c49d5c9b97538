// One part of the service bench, repeated, for before/after checks of a server change without the
// 8-minute full run. The same bundle, environment, generator, receiver and ledger as `npm run bench`
// (it calls the same scenario code); only fewer phases. Not a source of published figures.
//
//   npx tsx bench/tools/focus.ts --dialect=mysql --part=drain --runs=2
//   parts: idle, ingest (closed loop c=64), open1000, open300, drain (worker), tick, prototype (the
//   group-commit ingest prototype, no delivery: procs/group-commit-ingest.ts), drain-warm (the
//   worker drains a backlog, then a second one in the same process: cold, then warm code; BullMQ's
//   drain in the full run always runs in a process that already served the ingest phases)
//   front-door (the service's own front door alone: the web process with QSM_WEB_DELIVERY=false,
//   scenarios/front-door.ts).
//   BENCH_CPU_PROF=/tmp/prof works here too (service processes under --cpu-prof).
//   --worker: a `worker` process beside the web one (the second core's use the docs give VPS users).
//   --warm: for open300/open1000, run the closed-loop ingest phase first on the same service, as
//   the full run does. Without it an open phase starts on a cold process: at 1,000 ev/s on a slow
//   machine the first seconds leave a backlog that sets the whole phase's percentiles.
import { loadavg } from 'node:os'
import { buildService } from '../lib/build.js'
import { arrivalRate, Receiver } from '../lib/receiver-client.js'
import { freshDatabase, type Dialect } from '../lib/database.js'
import { openRaw } from '../lib/raw-sql.js'
import { createEndpoints, startCli, startWeb } from '../lib/service.js'
import { readMem, pidOf, type Usage } from '../lib/rss.js'
import { endRun, endTool } from '../lib/teardown.js'
import { sleep } from '../lib/stats.js'
import { arg } from '../lib/args.js'
import { FULL } from '../profile.js'
import { ENDPOINTS, phase, wholeJobRate } from '../scenarios/service.js'
import { drainRuns, seedDrain } from '../scenarios/drain.js'
import { groupCommitRun } from '../scenarios/group-commit.js'
import { frontDoorRun } from '../scenarios/front-door.js'
import { waitDrained } from '../lib/phase.js'

const dialect = arg('dialect', 'mysql') as Dialect
const part = arg('part', 'drain')
const runs = Number(arg('runs', '1'))
const withWorker = process.argv.includes('--worker')
const warm = process.argv.includes('--warm')
const log = (s: string) => process.stderr.write(`${s}\n`)
const peak = (u: Record<string, Usage>) => Object.entries(u).map(([k, v]) => `${k} ${v.rssMaxMB} MB ${v.cpuCores} cores`).join(', ')

const entry = await buildService()
const receiver = await Receiver.start()
const dbPid = dialect === 'mysql' ? pidOf('mariadbd') ?? pidOf('mysqld') : null
try {
  for (let r = 1; r <= runs; r++) {
    const load = loadavg().map((x) => x.toFixed(2)).join(' ')
    const db = await freshDatabase(dialect)
    const sql = openRaw(db.url, 4)
    const web = await startWeb(entry, db.url)
    const worker = withWorker ? startCli(entry, 'worker', db.url) : null
    try {
      const endpointIds = await createEndpoints(web.base, receiver.port, ENDPOINTS)
      if (part === 'idle') {
        await sleep(FULL.idleWaitMs)
        log(`[${dialect} idle, load ${load}] RSS ${readMem(web.child.pid)?.rssMB} MB`)
      } else if (part === 'prototype') {
        await web.stop()
        const ph = await groupCommitRun(FULL, db, sql, ENDPOINTS)
        log(`[${dialect} prototype, load ${load}] ${ph.load?.rate} ev/s, ingest p50/p99 ${ph.load?.latency?.p50}/${ph.load?.latency?.p99} ms, ledger ${ph.ledger.balanced ? 'ok' : 'VOID'}; ${peak(ph.usage)}`)
      } else if (part === 'front-door') {
        await web.stop()
        const ph = await frontDoorRun(FULL, db, sql, entry, receiver, ENDPOINTS, dbPid)
        log(`[${dialect} front door alone, load ${load}] ${ph.load?.rate} ev/s, ingest p50/p99 ${ph.load?.latency?.p50}/${ph.load?.latency?.p99} ms, ledger ${ph.ledger.balanced ? 'ok' : 'VOID'}; ${peak(ph.usage)}`)
      } else if (part === 'drain-warm') {
        await web.stop()
        const drainer = startCli(entry, 'worker', db.url)
        const rates: number[] = []
        try {
          for (let pass = 0; pass < 2; pass++) {
            const seeded = await seedDrain(sql, FULL.drainDeliveries, endpointIds, receiver)
            const got = await receiver.waitFor(seeded, FULL.settleMs)
            await waitDrained(sql, 5000)
            rates.push(arrivalRate(got))
          }
        } finally {
          await drainer.stop('SIGTERM', 15_000)
        }
        log(`[${dialect} drain, load ${load}] cold ${rates[0]}/s, then warm ${rates[1]}/s (one worker process)`)
      } else if (part === 'ingest' || part.startsWith('open')) {
        const closed = { mode: 'closed' as const, ms: FULL.closedMs }
        const spec = part === 'ingest' ? closed : { mode: 'open' as const, rate: Number(part.slice(4)), ms: FULL.openMs }
        if (warm && part !== 'ingest') await phase(FULL, db, sql, web, receiver, dbPid, closed)
        const ph = await phase(FULL, db, sql, web, receiver, dbPid, spec)
        log(`[${dialect} ${part}${withWorker ? ' + worker' : ''}${warm && part !== 'ingest' ? ' (warm)' : ''}, load ${load}] ${ph.load?.rate} ev/s, settled ${ph.settleMs} ms after (whole job ${wholeJobRate(ph) ?? '—'} ev/s), ingest p50/p99 ${ph.load?.latency?.p50}/${ph.load?.latency?.p99} ms, ` +
          `e2e p50/p99 ${ph.e2e?.latency?.p50}/${ph.e2e?.latency?.p99} ms, saturated ${ph.load?.saturatedAtMs ?? 'no'}, refused ${JSON.stringify(ph.load?.errors ?? {})}, ledger ${ph.ledger.balanced ? 'ok' : 'VOID'}; ${peak(ph.usage)}`)
      } else {
        await web.stop()
        const p = { ...FULL, tickDeliveries: part === 'tick' ? FULL.tickDeliveries : 0, drainDeliveries: part === 'drain' ? FULL.drainDeliveries : 0 }
        const d = await drainRuns(p, db, sql, entry, receiver, endpointIds, dbPid, () => {})
        const x = part === 'drain' ? d.drain : d.tick
        log(`[${dialect} ${part}, load ${load}] ${x?.delivered} delivered, ${x?.rate}/s, ledger ${x?.ledger.balanced ? 'ok' : 'VOID'}; ${x ? peak(x.usage) : ''} ${d.errors.join('; ')}`)
        if (part === 'tick') log(`  ${JSON.stringify(d.tick?.summary)}`)
      }
    } finally {
      await endRun({ worker, web, sql, db })
    }
  }
} finally {
  await endTool(receiver)
}
