// Noisy neighbour (issue 12): nine normal users beside one user whose 20 endpoints never answer,
// 300 events per second in all. Reported: the normal users' event→delivered times, once with the
// noisy user and once without (the same 270 ev/s of normal traffic), and their ratio (target ≤ 1.5×
// at p99). Default limits (4 in flight, 2 per user, 1 per endpoint, 10 s timeout).
//
// Everything runs in one process (service with its in-process delivery loop, bridge-like ingest over
// app.request, a loopback receiver): simpler than the service phases' separate processes, and it
// loads the one event loop more, so the figures are indicative, more so on a shared machine.
// Standalone: `npx tsx bench/scenarios/noisy-neighbour.ts [seconds] [sqlite|mysql] [events per second]`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { connect } from '../../server/db/connect.js'
import { loadConfig } from '../../server/config/load.js'
import { buildDeps } from '../../server/deps.js'
import { createApp } from '../../server/app.js'
import { createLogger } from '../../server/log.js'
import { mintToken } from '../../server/auth/token.js'
import { sign } from '../../server/signing/sign.js'
import { EXAMPLES } from '../../server/events/examples.js'
import { newId } from '../../server/db/ids.js'
import { freshDatabase, type Dialect } from '../lib/database.js'
import { nowMs, r2, sleep, summarize, type Summary } from '../lib/stats.js'

export interface NoisyRun {
  noisy: boolean
  normalEvents: number
  delivered: number
  /** Normal users' event→delivered, ms. */
  latency: Summary | null
  noisyEvents: number
}

export interface NoisyResult {
  dialect: Dialect
  seconds: number
  eventsPerSecond: number
  quiet: NoisyRun
  withNoisy: NoisyRun
  /** withNoisy p99 / quiet p99. */
  p99Ratio: number | null
  note: string
}

const NORMAL_USERS = 9
const HANGING_ENDPOINTS = 20
const TOTAL_RATE = 300
/** The noisy user's share (a tenth); each of its events fans out to 20 hanging endpoints. */
const NOISY_SHARE = 0.1

async function receiver() {
  const arrivals = new Map<string, number>()
  const hanging = new Set<ServerResponse>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () => {
      if (req.url?.startsWith('/hang')) { hanging.add(res); return }
      const id = String(req.headers['webhook-id'] ?? '')
      if (!arrivals.has(id)) arrivals.set(id, nowMs())
      res.writeHead(200).end('ok')
    })
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    async close() {
      for (const r of hanging) r.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function oneRun(dialect: Dialect, seconds: number, withNoisy: boolean, rate: number): Promise<NoisyRun> {
  const fresh = await freshDatabase(dialect)
  const rx = await receiver()
  const db = await connect(fresh.url)
  const secret = () => 'base64:' + randomBytes(32).toString('base64')
  const config = loadConfig({
    QSM_DATABASE_URL: fresh.url, QSM_APP_KEY: secret(), QSM_BRIDGE_SECRET: secret(), QSM_CRON_TOKEN: randomBytes(16).toString('hex'),
    QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_LOG_LEVEL: 'silent', QSM_RATE_LIMIT_PER_USER: '1000000', QSM_RATE_LIMIT_PER_IP: '1000000',
  })
  const deps = buildDeps({ db, config, log: createLogger({ level: 'silent' }), inProcessLoop: { pollMs: 1_000 } })
  const app = createApp(deps)
  const call = async (userId: string, path: string, body: unknown) => {
    const res = await app.request(path, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await mintToken(config.bridgeSecret, userId, Date.now())}` },
    })
    if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
  }
  const normal = Array.from({ length: NORMAL_USERS }, (_, i) => `user-${i + 1}`)
  for (const u of normal) await call(u, '/v1/webhooks', { url: `${rx.url}/ok-${u}`, event_types: ['*'] })
  if (withNoisy) for (let i = 0; i < HANGING_ENDPOINTS; i++) await call('noisy', '/v1/webhooks', { url: `${rx.url}/hang-${i}`, event_types: ['*'] })

  const sent = new Map<string, number>()
  let noisyEvents = 0
  const ingest = async (userId: string) => {
    const event = { ...structuredClone(EXAMPLES['email.failed']), id: newId('evt'), user_id: userId }
    const text = JSON.stringify(event)
    const ts = Math.floor(Date.now() / 1000)
    const t0 = nowMs()
    const res = await app.request('/v1/events', {
      method: 'POST', body: text,
      headers: { 'content-type': 'application/json', 'webhook-id': event.id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(Buffer.from(config.bridgeSecret, 'utf8'), event.id, ts, text) },
    })
    if (res.status === 202 && userId !== 'noisy') sent.set(event.id, t0)
  }
  // Paced in 20 ms steps; the normal users take turns, the noisy user gets its share on top.
  const noisyRate = rate * NOISY_SHARE
  const normalRate = rate - noisyRate
  const started = nowMs()
  let normalDone = 0
  let noisyDone = 0
  const inFlight = new Set<Promise<void>>()
  while (nowMs() - started < seconds * 1000) {
    const elapsed = (nowMs() - started) / 1000
    while (normalDone < elapsed * normalRate) {
      const p = ingest(normal[normalDone % NORMAL_USERS]!)
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
      normalDone += 1
    }
    while (withNoisy && noisyDone < elapsed * noisyRate) {
      const p = ingest('noisy')
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
      noisyDone += 1
      noisyEvents += 1
    }
    await sleep(20)
  }
  await Promise.all(inFlight)
  // Let the normal users' last deliveries land (at most 10 s).
  const until = nowMs() + 10_000
  while (nowMs() < until && [...sent.keys()].some((id) => !rx.arrivals.has(id))) await sleep(50)
  const latency = [...sent].flatMap(([id, t0]) => (rx.arrivals.has(id) ? [rx.arrivals.get(id)! - t0] : []))
  await rx.close()
  await deps.dispatcher.stop()
  await deps.sender.close()
  await db.close()
  await fresh.drop()
  return { noisy: withNoisy, normalEvents: sent.size, delivered: latency.length, latency: summarize(latency), noisyEvents }
}

export async function noisyNeighbour(dialect: Dialect, seconds: number, log: (s: string) => void = () => {}, rate = TOTAL_RATE): Promise<NoisyResult> {
  log(`noisy neighbour on ${dialect}: ${seconds} s without the noisy user`)
  const quiet = await oneRun(dialect, seconds, false, rate)
  log(`noisy neighbour on ${dialect}: ${seconds} s with it`)
  const withNoisy = await oneRun(dialect, seconds, true, rate)
  const p99Ratio = quiet.latency && withNoisy.latency ? r2(withNoisy.latency.p99 / quiet.latency.p99) : null
  return {
    dialect, seconds, eventsPerSecond: rate, quiet, withNoisy, p99Ratio,
    note: `${NORMAL_USERS} normal users at ${rate * (1 - NOISY_SHARE)} ev/s in all, one endpoint each, receiver answers at once; the noisy user adds ${rate * NOISY_SHARE} ev/s to ${HANGING_ENDPOINTS} endpoints that never answer (10 s timeout). One process for service, ingest and receiver: indicative figures.`,
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 10)
  const dialect = (process.argv[3] ?? 'sqlite') as Dialect
  const rate = Number(process.argv[4] ?? TOTAL_RATE)
  const result = await noisyNeighbour(dialect, seconds, (s) => process.stderr.write(`${s}\n`), rate)
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  process.exit(0)
}
