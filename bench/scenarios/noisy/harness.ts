// The two ways the noisy-neighbour scenario runs the service (bench/scenarios/noisy-neighbour.ts).
// - one process (the default, and what bench/README's figures since 2 December use): the service
//   with its in-process delivery loop, the event sender (app.request) and the loopback receiver
//   share one event loop; MariaDB, if used, runs on the other core.
// - processes: the bundled web server, the receiver (bench/procs/receiver.ts) and this harness as
//   three processes, like production, but on a 2-core machine four busy processes (with mysqld)
//   share two cores, so the quiet half itself is measured under CPU contention.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'undici'
import { connect } from '../../../server/db/connect.js'
import { loadConfig } from '../../../server/config/load.js'
import { buildDeps } from '../../../server/deps.js'
import { createApp } from '../../../server/app.js'
import { createLogger } from '../../../server/log.js'
import type { Entry } from '../../lib/build.js'
import { Receiver } from '../../lib/receiver-client.js'
import { startWeb, TEST_SECRETS } from '../../lib/service.js'
import { nowMs } from '../../lib/stats.js'

export interface Harness {
  bridgeSecret: string
  receiverUrl(path: string): string
  /** POSTs to the service; answers the status and body text. */
  post(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }>
  /** First arrival time (ms, wall clock) per webhook-id / event id. */
  arrivals(): Promise<Map<string, number>>
  close(): Promise<void>
}

export type HarnessKind = 'one-process' | 'processes'

/** The product's defaults, stated: the bench's other scenarios raise the caps, this one must not. */
const DEFAULT_LIMITS = {
  QSM_CONCURRENCY: '4', QSM_USER_CONCURRENCY: '2', QSM_ENDPOINT_CONCURRENCY: '1',
  QSM_DELIVERY_TIMEOUT_MS: '10000', QSM_RETRY_SCHEDULE: '1m,5m,30m,2h',
}

export async function oneProcess(databaseUrl: string): Promise<Harness> {
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
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const db = await connect(databaseUrl)
  const secret = () => 'base64:' + randomBytes(32).toString('base64')
  const config = loadConfig({
    QSM_DATABASE_URL: databaseUrl, QSM_APP_KEY: secret(), QSM_BRIDGE_SECRET: secret(), QSM_CRON_TOKEN: randomBytes(16).toString('hex'),
    QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_LOG_LEVEL: 'silent', QSM_RATE_LIMIT_PER_USER: '1000000', QSM_RATE_LIMIT_PER_IP: '1000000',
    ...DEFAULT_LIMITS,
  })
  const deps = buildDeps({ db, config, log: createLogger({ level: 'silent' }), inProcessLoop: { pollMs: 1_000 } })
  const app = createApp(deps)
  return {
    bridgeSecret: config.bridgeSecret,
    receiverUrl: (path) => base + path,
    async post(path, body, headers) {
      // With a Content-Length, as the bridge (curl) and any HTTP client send it. Without one, the
      // body-limit middleware reads the body as a stream and builds a second Request around it:
      // per event a Request, an AbortSignal and streams that a real request never makes, which
      // outlive two scavenges (undici registers them for finalization) and were a third of what
      // this process promoted to the old generation in a noisy half (heap sampling, 4 December:
      // 65.7 MB in 10 s without the header, 44.0 MB with it). That garbage brought the full
      // collections, and their clusters of late deliveries, into the measured windows.
      const res = await app.request(path, { method: 'POST', body, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } })
      return { status: res.status, text: await res.text() }
    },
    arrivals: async () => arrivals,
    async close() {
      for (const r of hanging) r.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await deps.dispatcher.stop()
      await deps.sender.close()
      await db.close()
    },
  }
}

export async function processes(entry: Entry, databaseUrl: string): Promise<Harness> {
  const rx = await Receiver.start()
  const svc = await startWeb(entry, databaseUrl, DEFAULT_LIMITS)
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 })
  return {
    bridgeSecret: TEST_SECRETS.QSM_BRIDGE_SECRET,
    receiverUrl: (path) => rx.url(path),
    async post(path, body, headers) {
      const res = await request(`${svc.base}${path}`, { method: 'POST', body, headers, dispatcher: agent })
      return { status: res.statusCode, text: await res.body.text() }
    },
    async arrivals() {
      const dir = mkdtempSync(join(tmpdir(), 'qsm-noisy-'))
      try {
        const file = join(dir, 'arrivals.json')
        await rx.dump(file)
        const dump = JSON.parse(readFileSync(file, 'utf8')) as { ids: string[]; times: number[] }
        const first = new Map<string, number>()
        dump.ids.forEach((id, i) => { if (!first.has(id)) first.set(id, dump.times[i]!) })
        return first
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
    async close() {
      // The receiver first: it drops the hanging requests, so the service's stop does not wait them out.
      await rx.stop()
      await svc.stop()
      await agent.close()
    },
  }
}
