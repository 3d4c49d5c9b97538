// Receivers that misbehave: hang, reset the connection, answer garbage, answer a huge body, answer
// too slowly, answer 5xx with Retry-After, or redirect. Each misbehaves on its first attempt per
// event and then recovers; retries are driven by /tick with the injected clock moved forward, as
// host cron would. Ends with the ledger: every event reached every endpoint; a duplicate only where
// the sender timed out after the receiver had answered (at-least-once, never otherwise); one
// idempotency key per (event, endpoint); every signature valid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp, type TestApp } from '../helpers/app.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { checkLedger, describeLedger, startLedgerReceiver, startRawReceiver, type LedgerEndpoint, type LedgerHit, type LedgerReceiver } from './ledger.js'
import { exampleEvent, postEvents } from './support.js'

const HUGE = 'x'.repeat(16 * 1024 * 1024)

for (const dialect of dialects()) {
  describe(`${dialect}: receivers that hang, reset, lie and flood`, () => {
    const t = useTestDb(dialect)
    let http: LedgerReceiver
    let garbage: Awaited<ReturnType<typeof startRawReceiver>>
    let endless: Awaited<ReturnType<typeof startRawReceiver>>

    beforeAll(async () => {
      http = await startLedgerReceiver((hit, n) => {
        if (n > 0 || hit.path === '/ok') return { status: 200, body: 'ok' }
        if (hit.path === '/hang') return { hang: true }
        if (hit.path === '/reset') return { reset: true }
        if (hit.path === '/slow') return { status: 200, body: 'too late', delayMs: 6_000 }
        if (hit.path === '/huge') return { status: 200, body: HUGE }
        if (hit.path === '/huge-error') return { status: 500, body: HUGE }
        if (hit.path === '/retry-after') return { status: 503, body: 'busy', headers: { 'retry-after': '120' } }
        return { status: 200 }
      })
      // Garbage on the first request of each connection count, then a proper 200.
      garbage = await startRawReceiver((n) => (n % 2 === 0 ? 'SMTP 220 hello\r\n\r\nnot http at all' : 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'))
      // Headers that promise more body than ever comes (content-length lies): the status decides.
      endless = await startRawReceiver(() => 'HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\nconnection: close\r\n\r\npartial')
    })
    afterAll(async () => {
      await http?.close()
      await garbage?.close()
      await endless?.close()
    })

    // Every mail-app event, but not the endpoint.* events these misbehaving receivers raise about
    // each other (tests/server/delivery/health-alerts.test.ts covers those).
    const PATTERNS = ['email.*', 'usage.*', 'overflow.*']
    async function endpoint(app: TestApp, url: string): Promise<LedgerEndpoint> {
      const res = await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: PATTERNS })
      expect(res.status).toBe(201)
      return { id: res.json.id, userId: 'u1', url, patterns: PATTERNS, secrets: [res.json.secret] }
    }

    const tick = async (app: TestApp) => {
      const res = await app.app.request(`/tick?token=${TEST_SECRETS.QSM_CRON_TOKEN}`)
      expect(res.status).toBe(200)
      return (await res.json()) as { claimed: number; succeeded: number; retried: number; failed: number; duration_ms: number }
    }

    it('delivers everything once after each kind of misbehaviour, with the right error class on the failed attempt', async () => {
      http.hits.length = 0
      garbage.hits.length = 0
      endless.hits.length = 0
      const app = makeTestApp(t.db, { env: { QSM_DELIVERY_TIMEOUT_MS: '4s', QSM_RETRY_SCHEDULE: '1m,5m,30m', QSM_USER_CONCURRENCY: '8', QSM_ENDPOINT_CONCURRENCY: '8', QSM_CONCURRENCY: '8', QSM_MAX_ENDPOINTS_PER_USER: '50' } })
      const paths = ['/ok', '/hang', '/reset', '/slow', '/huge', '/huge-error', '/retry-after']
      const endpoints = [
        ...(await Promise.all(paths.map((p) => endpoint(app, http.url + p)))),
        await endpoint(app, garbage.url + '/garbage'),
        await endpoint(app, endless.url + '/endless'),
      ]
      const events = [exampleEvent('email.failed', 'u1'), exampleEvent('email.received', 'u1'), exampleEvent('overflow.hold_started', 'u1')]
      const ingest = await postEvents(app.app, { events }, app.clock.now())
      expect(ingest.status).toBe(202)

      const rssBefore = process.memoryUsage().rss
      const ticks = []
      for (let i = 0; i < 6; i++) {
        ticks.push(await tick(app))
        app.clock.advance(10 * 60_000)
        const pending = await t.db.db.selectFrom('deliveries').select('id').where('status', '=', 'pending').execute()
        if (pending.length === 0) break
      }
      const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024

      const hits: LedgerHit[] = [...http.hits, ...garbage.hits, ...endless.hits]
      const report = checkLedger({ accepted: events, endpoints, hits })
      // A duplicate is honest only when the server saw the earlier attempt fail by timeout while
      // the receiver had in fact answered (at-least-once). Anything else is a bug.
      const timedOut = new Set(
        (await t.db.db
          .selectFrom('delivery_attempts')
          .innerJoin('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
          .select(['deliveries.event_id', 'deliveries.endpoint_id'])
          .where('delivery_attempts.error_class', '=', 'timeout')
          .execute()).map((r) => `${r.event_id}@${r.endpoint_id}`),
      )
      const unexplained = report.duplicates.filter((d) => !timedOut.has(d.split(' ')[0]!))
      expect(unexplained, describeLedger(report)).toEqual([])
      expect(report.missing, describeLedger(report)).toEqual([])
      expect(report.unexpected).toEqual([])
      expect(report.keyMismatch).toEqual([])
      expect(report.badSignature).toEqual([])
      expect(await t.db.db.selectFrom('deliveries').select('status').where('status', '!=', 'succeeded').execute()).toEqual([])

      // How each first attempt failed, as recorded in the attempts log.
      const attempts = await t.db.db
        .selectFrom('delivery_attempts')
        .innerJoin('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
        .innerJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
        .select(['endpoints.url', 'delivery_attempts.attempt', 'delivery_attempts.error_class', 'delivery_attempts.status_code', 'delivery_attempts.duration_ms'])
        .execute()
      const firstClass = (suffix: string) => [...new Set(attempts.filter((a) => a.url.endsWith(suffix) && a.attempt === 1).map((a) => a.error_class))]
      expect(firstClass('/ok')).toEqual([null])
      expect(firstClass('/hang')).toEqual(['timeout'])
      expect(firstClass('/reset')).toEqual(['reset'])
      expect(firstClass('/slow')).toEqual(['timeout'])
      expect(firstClass('/huge')).toEqual([null])
      expect(firstClass('/huge-error')).toEqual(['http_error'])
      expect(firstClass('/retry-after')).toEqual(['http_error'])
      expect(firstClass('/garbage')[0]).toMatch(/invalid_response|reset|error/)
      expect(firstClass('/endless')).toEqual([null])
      // The attempt timeout holds for a hang: no attempt took much longer than 4 s. (4 s, not 2: on
      // a 2-core CI box in a slow hour, with another test file beside this one, a 16 MB answer
      // written by this same process was once still on its way after 2 s and timed out.)
      for (const a of attempts) expect(a.duration_ms, a.url).toBeLessThan(8_000)
      // A 16 MB answer is not read into memory (the read is capped at a few KB).
      expect(rssGrowthMb).toBeLessThan(60)
      // eslint-disable-next-line no-console
      const perPath: Record<string, number> = {}
      for (const h of hits) perPath[h.path] = (perPath[h.path] ?? 0) + 1
      console.log(`[reliability] ${dialect} receiver faults: ${describeLedger(report)} ${JSON.stringify(perPath)}; ${ticks.length} ticks (${ticks.map((x) => `${x.claimed}/${x.duration_ms}ms`).join(', ')}); rss +${rssGrowthMb.toFixed(1)} MB`)
    }, 60_000)

    it('honours Retry-After within bounds: the retry waits for it, not for the 1 m schedule step', async () => {
      http.hits.length = 0
      const app = makeTestApp(t.db, { env: { QSM_RETRY_SCHEDULE: '1m,5m,30m' } })
      const ep = await endpoint(app, http.url + '/retry-after')
      const event = exampleEvent('email.spam', 'u1')
      await postEvents(app.app, event, app.clock.now())
      await tick(app)
      const row = await t.db.db.selectFrom('deliveries').selectAll().where('endpoint_id', '=', ep.id).executeTakeFirstOrThrow()
      expect(row.status).toBe('pending')
      const wait = Number(row.next_attempt_at) - app.clock.now()
      expect(wait).toBeGreaterThanOrEqual(119_000)
      app.clock.advance(90_000)
      expect((await tick(app)).claimed).toBe(0)
      app.clock.advance(40_000)
      expect((await tick(app)).succeeded).toBe(1)
    })
  })
}
