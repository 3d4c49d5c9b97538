// Memory under overload: far more bridge requests at once than the service can store, single
// events and full batches, and what the web process's RSS does meanwhile. The full run's closed
// loop keeps 64 requests in flight; a mail host with many PHP workers, or a bridge flushing its
// spool from several cron runs, can keep hundreds. The budget (issue 13) is 150 MB with default
// flags whatever the load: past what it can hold, the service answers 503 with Retry-After and the
// bridge spools.
//
//   npx tsx bench/tools/overload.ts --dialect=mysql --seconds=10 --loads=64x1,512x1,2048x1,256x50
//   --users=N spreads the events over N users with three endpoints each (default 1: the bench user),
//   for the memory that grows with tenants (connection pools, caches) rather than with requests.
//   --env='{"QSM_USER_CONCURRENCY":"2"}' sets the service's settings over the bench's own.
//
// Each load is <requests in flight>x<events per request>. For each: a fresh database and web
// process, a closed loop for --seconds (the requests are sent from this process, not a child: the
// figure is the service's RSS), then the ledger once every delivery has settled. Prints, per load:
// events accepted per second, answers by status, the peak RSS of the web process (during the load,
// and until the deliveries it left have settled), and the ledger
// (every accepted event stored with all its deliveries, nothing from a refused request).
import { randomBytes } from 'node:crypto'
import { Pool } from 'undici'
import { buildService } from '../lib/build.js'
import { Receiver } from '../lib/receiver-client.js'
import { freshDatabase, type Dialect } from '../lib/database.js'
import { openRaw } from '../lib/raw-sql.js'
import { createEndpoints, startWeb, TEST_SECRETS } from '../lib/service.js'
import { readMem } from '../lib/rss.js'
import { closeLedger, pendingCount, waitDrained } from '../lib/phase.js'
import { endRun, endTool } from '../lib/teardown.js'
import { BENCH_USER, eventBody, eventId, signedHeaders } from '../lib/event.js'
import { sleep } from '../lib/stats.js'
import { arg } from '../lib/args.js'

const dialect = arg('dialect', 'mysql') as Dialect
const seconds = Number(arg('seconds', '10'))
const loads = arg('loads', '64x1,512x1,2048x1,256x50').split(',').map((s) => s.split('x').map(Number) as [number, number])
const users = Number(arg('users', '1'))
/** --env='{"QSM_CONCURRENCY":"16"}': settings over the bench's own (bench/lib/service.ts serviceEnv). */
const extraEnv = JSON.parse(arg('env', '{}')) as Record<string, string>
const key = Buffer.from(TEST_SECRETS.QSM_BRIDGE_SECRET, 'utf8')
const ENDPOINTS = 3
let turn = 0
/** The users in turn: the bench user alone, or user-1 … user-N. */
const nextUser = () => (users === 1 ? BENCH_USER : `user-${(turn++ % users) + 1}`)

/** A signed request of `n` events: a bare envelope for one, `{ events: [...] }` for more (as the bridge's spool flush sends). */
function request(n: number): { headers: Record<string, string>; body: string } {
  const bodies = Array.from({ length: n }, () => eventBody(eventId(), Date.now(), nextUser()))
  const body = n === 1 ? bodies[0]! : `{"events":[${bodies.join(',')}]}`
  return { body, headers: signedHeaders(key, `msg_${randomBytes(12).toString('hex')}`, body) }
}

const entry = await buildService()
const receiver = await Receiver.start()
try {
  for (const [connections, perRequest] of loads) {
    const db = await freshDatabase(dialect)
    const sql = openRaw(db.url, 4)
    const web = await startWeb(entry, db.url, extraEnv)
    try {
      if (users === 1) await createEndpoints(web.base, receiver.port, ENDPOINTS)
      else for (let u = 1; u <= users; u++) await createEndpoints(web.base, receiver.port, ENDPOINTS, `user-${u}`)
      await receiver.reset()
      const pool = new Pool(web.base, { connections, pipelining: 1, keepAliveTimeout: 60_000 })
      const statuses: Record<string, number> = {}
      let accepted = 0
      let peak = 0
      const sampler = setInterval(() => { peak = Math.max(peak, readMem(web.child.pid!)?.rssMB ?? 0) }, 100)
      const t0 = Date.now()
      const end = t0 + seconds * 1000
      const loop = async () => {
        while (Date.now() < end) {
          const r = request(perRequest)
          let status = 'error'
          try {
            const res = await pool.request({ method: 'POST', path: '/v1/events', headers: r.headers, body: r.body })
            status = String(res.statusCode)
            await res.body.dump()
            if (res.statusCode === 202 || res.statusCode === 200) accepted += perRequest
            // A refused connection waits its Retry-After before sending again (the bridge itself
            // spools for 30 s or more): the pressure stays on without spinning on refusals.
            else if (res.statusCode === 503) await sleep(Number(res.headers['retry-after'] ?? 1) * 1000)
          } catch (err) {
            status = `error ${(err as { code?: string }).code ?? (err as Error).name}`
            if (process.env.OVERLOAD_DEBUG) process.stderr.write(`ERR at ${Date.now() - t0} ms: ${(err as Error).message}\n`)
            await sleep(100)
          }
          statuses[status] = (statuses[status] ?? 0) + 1
        }
      }
      await Promise.all(Array.from({ length: connections }, loop))
      const loadMs = Date.now() - t0
      const peakLoad = peak
      await pool.close()
      // The sends go on after the load (a backlog of many users' deliveries): the peak counts until they end.
      const pendingAtEnd = await pendingCount(sql)
      const settleMs = await waitDrained(sql, 60_000)
      clearInterval(sampler)
      const ledger = await closeLedger(sql, accepted, ENDPOINTS, await receiver.stats())
      const answers = Object.entries(statuses).map(([s, n]) => `${s}: ${n}`).join(', ')
      process.stdout.write(
        `[${dialect} ${connections} in flight x ${perRequest} event(s)${users > 1 ? `, ${users} users` : ''}] ${Math.round(accepted / (loadMs / 1000))} ev/s accepted; answers ${answers}; ` +
        `web peak RSS ${peakLoad} MB during the load, ${peak} MB until every delivery settled; ` +
        `${pendingAtEnd - ledger.pending} deliveries after the load in ${(settleMs / 1000).toFixed(1)} s (${Math.round((pendingAtEnd - ledger.pending) / (settleMs / 1000))}/s); ledger ${ledger.balanced ? 'ok' : 'VOID'} (${ledger.events} events, ${ledger.delivered} delivered, ${ledger.pending} pending)\n`,
      )
    } finally {
      await endRun({ web, sql, db })
    }
  }
} finally {
  await endTool(receiver)
}
