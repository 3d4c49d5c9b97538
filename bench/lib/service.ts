// Starts the service under test as a real process (web server, `worker`, or `tick`) with a fixed,
// stated environment, and talks to it over HTTP like the bridge and the dashboard would.
import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { TEST_SECRETS } from '../../tests/helpers/config.js'
import { mintToken } from '../../server/auth/token.js'
import { spawnNode, type Child } from './proc.js'
import type { Entry } from './build.js'
import { BENCH_USER } from './event.js'
import { sleep } from './stats.js'

export { TEST_SECRETS }

// One empty working directory for every service process of this run, so no stray .env is read or
// written; removed when the harness exits.
let emptyDir: string | undefined
function cwd(): string {
  if (!emptyDir) {
    const dir = (emptyDir = mkdtempSync(join(tmpdir(), 'qsm-svc-')))
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  return emptyDir
}

/** BENCH_CPU_PROF=<dir> runs the service processes under `node --cpu-prof` (evidence for Findings). */
export const profArgs = (): string[] => (process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])

/** The environment every service run uses (reported with the results). */
export function serviceEnv(databaseUrl: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...TEST_SECRETS,
    QSM_DATABASE_URL: databaseUrl,
    QSM_ALLOW_PRIVATE_TARGETS: 'true',
    QSM_LOG_LEVEL: 'warn',
    QSM_CONCURRENCY: '64',
    // All bench endpoints belong to one user; the per-user cap (default 2) would otherwise be the
    // whole story. The dashboard rate limits are not part of this benchmark.
    QSM_USER_CONCURRENCY: '64',
    // The same for the per-endpoint cap (default 1): with 3 endpoints it would allow 3 requests in
    // flight in all, and measure that cap instead of the service's throughput.
    QSM_ENDPOINT_CONCURRENCY: '64',
    QSM_RATE_LIMIT_PER_USER: '1000000',
    QSM_RATE_LIMIT_PER_IP: '1000000',
    // Compressed retry schedule, the same one the BullMQ comparison uses.
    QSM_RETRY_SCHEDULE: '1s,2s,4s,8s',
    QSM_TICK_BUDGET_SECONDS: '20',
    PORT: String(port),
    HOST: '127.0.0.1',
    // Node flags for the service processes only (e.g. a heap cap), as a host would set NODE_OPTIONS.
    ...(process.env.BENCH_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS } : {}),
    ...extra,
  }
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => res(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

export interface Service {
  child: Child
  base: string
  stop(): Promise<void>
}

/** Starts the web server and waits until /healthz answers 200. */
export async function startWeb(entry: Entry, databaseUrl: string, extra: Record<string, string> = {}): Promise<Service> {
  const port = await freePort()
  const child = spawnNode([...profArgs(), ...entry.web], { env: serviceEnv(databaseUrl, port, extra), cwd: cwd() })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const r = await request(`${base}/healthz`)
      await r.body.dump()
      if (r.statusCode === 200) break
    } catch {
      // not listening yet
    }
    if (child.proc.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start:\n${child.stderr().slice(-2000)}`)
    await sleep(100)
  }
  return { child, base, stop: async () => void (await child.stop('SIGTERM', 15_000)) }
}

/** Starts a CLI command (`worker`, `tick`) against the same database. */
export function startCli(entry: Entry, command: string, databaseUrl: string, extra: Record<string, string> = {}): Child {
  return spawnNode([...profArgs(), ...entry.cli, command], { env: serviceEnv(databaseUrl, 0, extra), cwd: cwd() })
}

/** A dashboard API call as `user` (the bench user unless said). */
export async function api(base: string, method: string, path: string, body?: unknown, user = BENCH_USER): Promise<{ status: number; json: any }> {
  const token = await mintToken(TEST_SECRETS.QSM_BRIDGE_SECRET, user, Date.now())
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.body.text()
  let json: any = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = text
  }
  return { status: res.statusCode, json }
}

/** Creates the three endpoints every event of `user` (the bench user unless said) fans out to, all on the loopback receiver. */
export async function createEndpoints(base: string, receiverPort: number, n = 3, user = BENCH_USER): Promise<string[]> {
  const ids: string[] = []
  for (let i = 1; i <= n; i++) {
    const r = await api(base, 'POST', '/v1/webhooks', { url: `http://127.0.0.1:${receiverPort}/e/${i}`, description: `bench ${i}`, event_types: ['email.*'] }, user)
    if (r.status !== 201) throw new Error(`creating an endpoint answered ${r.status}: ${JSON.stringify(r.json)}`)
    ids.push(r.json.id)
  }
  return ids
}
