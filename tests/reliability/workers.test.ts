// Worker processes (the real `worker` CLI command) draining one queue while events keep arriving,
// and a worker SIGKILLed in the middle of its deliveries. Ends with the ledger each time.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp, type TestApp } from '../helpers/app.js'
import { checkLedger, deliveredPairs, describeLedger, startLedgerReceiver, type LedgerEndpoint, type LedgerEvent, type LedgerReceiver } from './ledger.js'
import { startWorker, workerReady, type WorkerProc } from './workers.js'
import { BRIDGE_TYPES, exampleEvent, postEvents, sleep } from './support.js'
import { endpointWants } from '../../server/events/types.js'
import { createLogger } from '../../server/log.js'

const WORKER_ENV = { QSM_DELIVERY_TIMEOUT_MS: '1s', QSM_LEASE_MS: '4000', QSM_RETRY_SCHEDULE: '1s,1s,1s', QSM_CONCURRENCY: '4', QSM_USER_CONCURRENCY: '2' }
// The four-worker run checks that concurrent claims never send a pair twice. With a 1 s timeout, a
// worker starved of CPU (a 2-core machine running the other test files, or a benchmark, beside
// it) timed out on 5-25 ms answers and sent them again: at-least-once after a timeout, on both
// databases alike, and not what this test is about. A 5 s timeout keeps that out; the timeouts
// are still counted and reported. The lease stays well beyond the timeout.
const FOUR_WORKER_ENV = { ...WORKER_ENV, QSM_DELIVERY_TIMEOUT_MS: '5s', QSM_LEASE_MS: '20000' }

for (const dialect of dialects()) {
  describe(`${dialect}: worker processes`, () => {
    const t = useTestDb(dialect)
    let receiver: LedgerReceiver
    let workers: WorkerProc[] = []
    beforeAll(async () => {
      receiver = await startLedgerReceiver()
    })
    afterEach(async () => {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')))
      workers = []
    })
    afterAll(async () => receiver?.close())

    async function endpoints(app: TestApp): Promise<LedgerEndpoint[]> {
      const out: LedgerEndpoint[] = []
      for (const user of ['u1', 'u2', 'u3', 'u4']) {
        for (const [i, p] of [['*'], ['email.*'], ['usage.*', 'overflow.*']].entries()) {
          const url = `${receiver.url}/${user}/${i}`
          const res = await app.call(user, 'POST', '/v1/webhooks', { url, event_types: p })
          out.push({ id: res.json.id, userId: user, url, patterns: p, secrets: [res.json.secret] })
        }
      }
      return out
    }
    const expectedPairs = (events: { user_id: string; type: string }[], eps: LedgerEndpoint[]) =>
      events.reduce((n, e) => n + eps.filter((ep) => ep.userId === e.user_id && endpointWants(ep.patterns, e.type)).length, 0)
    // Only the expected pairs count (deliveredPairs): counting every 200 also counted the
    // endpoint.failing/recovered events sent to the `*` endpoints when the 500s change an
    // endpoint's health, so the wait could end — and the workers be stopped — while a real pair
    // still waited for its retry after a 500. That was the 479/480 flake (once in 14 runs under
    // CPU load here: the wait ended, no unexpected or duplicate hits, one pair missing).
    const delivered = (hits: LedgerReceiver['hits'], accepted: LedgerEvent[], eps: LedgerEndpoint[]) => deliveredPairs({ accepted, endpoints: eps, hits })

    /**
     * Where each missing (event@endpoint) pair stands: its row (status, attempts, lease owner, due
     * time relative to now), its attempts, and whether each worker was still running.
     */
    const whereMissingStand = async (missing: string[], nowMs: number): Promise<string> => {
      const lines: string[] = [`workers running: ${workers.map((w) => (w.child.exitCode === null && w.child.signalCode === null ? 'yes' : `no (${w.child.exitCode ?? w.child.signalCode})`)).join(', ')}`]
      for (const pair of missing.slice(0, 5)) {
        const [eventId, endpointId] = pair.split('@') as [string, string]
        const row = await t.db.db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).where('endpoint_id', '=', endpointId).executeTakeFirst()
        if (!row) { lines.push(`${pair}: no delivery row`); continue }
        const atts = await t.db.db.selectFrom('delivery_attempts').select(['attempt', 'started_at', 'duration_ms', 'status_code', 'error_class', 'error']).where('delivery_id', '=', row.id).orderBy('attempt').execute()
        const due = row.next_attempt_at === null ? 'none' : `${Number(row.next_attempt_at) - nowMs} ms from now`
        lines.push(`${pair}: ${row.status}, ${row.attempts} attempts, lease_owner ${row.lease_owner ?? '-'}, next_attempt_at ${due}, last_error ${row.last_error ?? '-'}; attempts ${JSON.stringify(atts.map((a) => ({ ...a, started_at: Number(a.started_at) - nowMs })))}`)
      }
      return lines.join('\n')
    }

    /** What ingest answered during the four-worker run, for the test after it. */
    let ingestRun = { ran: false, busy: 0, answered500: 0 }
    const fourWorkers = async () => {
      receiver.hits.length = 0
      // 1 in 8 first attempts fail with 500 (retried after 1 s); answers take 5-25 ms.
      receiver.reply = (hit, n) => (n === 0 && hit.eventId && hit.eventId.charCodeAt(hit.eventId.length - 1) % 8 === 0 ? { status: 500 } : { status: 200, delayMs: 5 + Math.floor(Math.random() * 20) })
      const logged: string[] = []
      const app = makeTestApp(t.db, { log: createLogger({ level: 'warn', write: (l) => logged.push(l) }) })
      const eps = await endpoints(app)
      workers = Array.from({ length: 4 }, () => startWorker(t.url, FOUR_WORKER_ENV))
      await Promise.all(workers.map((w) => workerReady(w)))
      const started = Date.now()
      // The receiver runs in this process: if this event loop stalls (a synchronous SQLite wait),
      // answers go out late and senders time out on requests the receiver did take.
      let maxStallMs = 0
      let lastBeat = performance.now()
      const beat = setInterval(() => {
        const now = performance.now()
        maxStallMs = Math.max(maxStallMs, now - lastBeat - 10)
        lastBeat = now
      }, 10)
      const accepted: { id: string; user_id: string; type: string }[] = []
      let busy = 0
      let answered500 = 0
      // 40 batches of 6 events, one every 75 ms: about 3 s of arrivals while the workers drain.
      for (let b = 0; b < 40; b++) {
        const events = Array.from({ length: 6 }, (_, i) => exampleEvent(BRIDGE_TYPES[(b + i) % BRIDGE_TYPES.length]!, `u${((b + i) % 4) + 1}`))
        // Resend on 5xx, as the bridge's spool does.
        let res = await postEvents(app.app, { events }, Date.now())
        for (let i = 0; i < 20 && res.status >= 500; i++) {
          busy += 1
          if (res.status === 500) answered500 += 1
          await sleep(100)
          res = await postEvents(app.app, { events }, Date.now())
        }
        expect(res.status, logged.join('\n').slice(0, 1500)).toBe(202)
        accepted.push(...events)
        await sleep(75)
      }
      const arrivalsMs = Date.now() - started
      ingestRun = { ran: true, busy, answered500 }
      const want = expectedPairs(accepted, eps)
      // A run that does not drain in time still goes on to the ledger, so the failure names the
      // missing pairs and where they stand. (Before, the timeout threw here, ahead of the
      // explanation below.)
      const inTime = await receiver.until((hits) => delivered(hits, accepted, eps) >= want, 60_000).then(() => true, () => false)
      const drainedMs = Date.now() - started
      clearInterval(beat)
      // Read before the workers stop: stopping gives their leases back and changes the rows.
      const missingNow = inTime ? [] : checkLedger({ accepted, endpoints: eps, hits: receiver.hits }).missing
      const explanation = missingNow.length > 0 ? await whereMissingStand(missingNow, Date.now()) : ''
      // The ledger waits for the accepted events only. A health alert (endpoint.*, after three
      // failed attempts in a row on one endpoint) makes deliveries of its own, and one made near the
      // end could still be on its way when the workers stopped: "not succeeded" below, with nothing
      // lost (one row, once in CI on 4 December; not reproduced, so the likely cause). So wait, at
      // most 10 s, for every row to settle. A result that was not written stays leased for the
      // whole 20 s lease and still fails below.
      for (const until = Date.now() + 10_000; Date.now() < until; await sleep(50)) {
        const open = await t.db.db.selectFrom('deliveries').select('id').where('status', '=', 'pending').limit(1).execute()
        if (open.length === 0) break
      }
      await sleep(300)
      const codes = await Promise.all(workers.map((w) => w.stop('SIGTERM')))
      const warnings = workers.flatMap((w) => w.output().split('\n').filter((l) => l.includes('"level"')))
      const ackFailures = warnings.filter((l) => l.includes('could not record delivery results')).length
      const afterLease = warnings.filter((l) => l.includes('no longer leased to this runner')).length
      const report = checkLedger({ accepted, endpoints: eps, hits: receiver.hits })
      expect(report.missing, [`${describeLedger(report)} (and ${report.operational} endpoint.* operational deliveries)`, explanation, ...warnings.slice(0, 20)].join('\n')).toEqual([])
      expect(inTime, `everything arrived, but only after the 60 s window; ${explanation}`).toBe(true)
      expect(codes, workers.map((w) => w.output()).join('\n')).toEqual([0, 0, 0, 0])
      // For a duplicate, the time between its sends tells the cause: about one lease (4 s) means
      // the first result was not written before the lease ran out.
      const gaps = report.duplicates.slice(0, 5).map((d) => {
        const [eventId] = d.split('@')
        const at = receiver.hits.filter((h) => h.eventId === eventId && h.path === /\((\S+)\)/.exec(d)?.[1]).map((h) => `${h.answered}@+${h.at - started}`)
        return `${eventId}: ${at.join(' ')}`
      })
      // How the server saw those sends (a timeout first means the answer came too late for it).
      const seenAs = report.duplicates.length === 0 ? [] : await t.db.db
        .selectFrom('delivery_attempts').innerJoin('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
        .select(['deliveries.event_id', 'delivery_attempts.error_class', 'delivery_attempts.status_code', 'delivery_attempts.duration_ms'])
        .where('deliveries.event_id', 'in', report.duplicates.map((d) => d.split('@')[0]!))
        .execute()
      expect(report.duplicates, `${describeLedger(report)}\n${ackFailures} failed result writes, ${afterLease} written after the lease; ${warnings.slice(0, 5).join('\n')}\nsends (status@ms): ${gaps.join('; ')}\nlogged attempts: ${JSON.stringify(seenAs.slice(0, 10))}\nlongest stall of this process (receiver, ingest): ${Math.round(maxStallMs)} ms`).toEqual([])
      expect(report.unexpected).toEqual([])
      expect(report.keyMismatch).toEqual([])
      expect(report.badSignature).toEqual([])
      expect(await t.db.db.selectFrom('deliveries').select('id').where('status', '!=', 'succeeded').execute()).toEqual([])
      const perWorker = workers.map((w) => /(\d+) claimed/.exec(w.output())?.[1] ?? '?')
      // The receiver answers in 5-25 ms, so a logged timeout means a worker's event loop stalled.
      const timeouts = (await t.db.db.selectFrom('delivery_attempts').select('id').where('error_class', '=', 'timeout').execute()).length
      // eslint-disable-next-line no-console
      console.log(`[reliability] ${dialect} 4 workers: ${accepted.length} events, ${describeLedger(report)} (and ${report.operational} endpoint.* operational deliveries); arrivals ${arrivalsMs} ms, drained ${drainedMs} ms; claims per worker ${perWorker.join('/')}; ingest answered 5xx ${busy} times (${answered500} of them 500); result writes failed ${ackFailures} times, ${afterLease} came after the lease; ${timeouts} attempts timed out; longest stall of the receiver's process ${Math.round(maxStallMs)} ms`)
    }
    // Several workers on one database is the MySQL deployment (design: "worker processes on other
    // machines sharing one MySQL"). On SQLite it is not documented, but a server beside a cron
    // `tick` is, and it has the same race, only rarer. Fixed (docs/reliability.md, "SQLite with
    // several processes"): claims, acks, ingest and endpoint creation take SQLite's write lock as
    // their first statement (writeTransaction in server/db/write-first.ts), so a second process
    // waits its turn instead of failing at once with SQLITE_BUSY_SNAPSHOT, and it waits on a timer,
    // not inside SQLite's blocking busy_timeout, which froze a worker until its sends timed out.
    // Before, 89-135 of 480 pairs were sent twice or three times.
    it(dialect === 'mysql' ? 'four workers drain one queue exactly once while events keep arriving' : 'four workers on one SQLite file deliver exactly once', fourWorkers, 120_000)

    // Before the fix, SQLite ingest beside the workers answered 500 ("database is locked",
    // SQLITE_BUSY_SNAPSHOT) a few times per run. Nothing was lost (the bridge resends any 5xx).
    it(`${dialect === 'mysql' ? 'MySQL' : 'SQLite'} ingest never answers 5xx while four workers write to the same database`, () => {
      expect(ingestRun.ran, 'the four-worker run above ran').toBe(true)
      expect(ingestRun, 'ingest answers resent after a 5xx').toEqual({ ran: true, busy: 0, answered500: 0 })
    })

    it('a worker SIGKILLed mid-delivery loses nothing: its claims come back after the lease, duplicates keep their key', async () => {
      receiver.hits.length = 0
      receiver.reply = () => ({ status: 200, delayMs: 400 })
      const app = makeTestApp(t.db)
      const eps = await endpoints(app)
      const accepted = Array.from({ length: 24 }, (_, i) => exampleEvent(BRIDGE_TYPES[i % BRIDGE_TYPES.length]!, `u${(i % 4) + 1}`))
      expect((await postEvents(app.app, { events: accepted }, Date.now())).status).toBe(202)
      const want = expectedPairs(accepted, eps)
      const victim = startWorker(t.url, WORKER_ENV)
      workers = [victim]
      await workerReady(victim)
      // Kill it while requests are in flight (the receiver holds each for 400 ms).
      await receiver.until((hits) => hits.length >= 6, 20_000)
      const killedAt = Date.now()
      expect(await victim.stop('SIGKILL')).toBe('SIGKILL')
      const inFlightAtKill = receiver.hits.filter((h) => h.answered === null).length
      const leased = await t.db.db.selectFrom('deliveries').select('id').where('lease_owner', 'is not', null).execute()
      expect(leased.length).toBeGreaterThan(0)
      const survivor = startWorker(t.url, WORKER_ENV)
      workers = [survivor]
      await workerReady(survivor)
      await receiver.until((hits) => delivered(hits, accepted, eps) >= want, 60_000)
      const recoveredMs = Date.now() - killedAt
      await sleep(300)
      expect(await survivor.stop('SIGTERM')).toBe(0)
      const report = checkLedger({ accepted, endpoints: eps, hits: receiver.hits })
      expect(report.missing, describeLedger(report)).toEqual([])
      expect(report.unexpected).toEqual([])
      // Duplicates only for what was in flight when the worker died, and always with one key.
      expect(report.keyMismatch).toEqual([])
      expect(report.duplicates.length).toBeLessThanOrEqual(inFlightAtKill + 4)
      expect(await t.db.db.selectFrom('deliveries').select('id').where('status', '!=', 'succeeded').execute()).toEqual([])
      // eslint-disable-next-line no-console
      console.log(`[reliability] ${dialect} SIGKILL worker: ${describeLedger(report)}; ${leased.length} leases orphaned, ${inFlightAtKill} in flight at the kill, all delivered ${recoveredMs} ms after it (lease 4 s)`)
    }, 120_000)
  })
}
