// `npm run bench` (full, ~8 min) and `npm run bench:quick` (CI smoke, ~90 s, no thresholds).
// Order: machine → baselines → our service on SQLite and MariaDB → BullMQ (two durability classes)
// → dashboard size → bench/results/<date>.{json,md} (quick: bench/results/tmp/). Every child is a
// separate process on loopback; every phase is bounded in time.
import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { REPO, killAll } from './lib/proc.js'
import { fsyncRate, machineInfo } from './lib/machine.js'
import { mysqlAvailable } from './lib/database.js'
import { buildService } from './lib/build.js'
import { Receiver } from './lib/receiver-client.js'
import { pidOf, readMem } from './lib/rss.js'
import { loadIORedis, persistenceOf, startDurableRedis } from './lib/redis.js'
import { serviceEnv, freePort } from './lib/service.js'
import { FULL, QUICK } from './profile.js'
import { dbBaseline, httpBaseline, sendBaseline } from './scenarios/baselines.js'
import { serviceRuns } from './scenarios/service.js'
import { bullmqRuns } from './scenarios/bullmq.js'
import { dashboardSize } from './scenarios/dashboard.js'
import { noisyNeighbour } from './scenarios/noisy-neighbour.js'
import { renderMarkdown } from './report/markdown.js'
import type { BenchResult } from './report/types.js'

const args = process.argv.slice(2)
const p = args.includes('--quick') ? QUICK : FULL
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',')
const want = (part: string) => !only || only.includes(part)
const log = (s: string) => process.stderr.write(`${s}\n`)
const t0 = Date.now()
const step = (s: string) => log(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`)

const mariadb = await mysqlAvailable()
const dialects = (['sqlite', 'mysql'] as const).filter((d) => d === 'sqlite' || mariadb)
const mariadbPid = pidOf('mariadbd') ?? pidOf('mysqld')
const { QSM_APP_KEY: _a, QSM_BRIDGE_SECRET: _b, QSM_CRON_TOKEN: _c, ...env } = serviceEnv('(fresh per run)', 0)
const result: BenchResult = {
  command: `npm run ${p.name === 'quick' ? 'bench:quick' : 'bench'}${args.filter((a) => a !== '--quick').map((a) => ` -- ${a}`).join('')}`,
  profile: p.name,
  startedAt: new Date().toISOString(),
  finishedAt: '',
  machine: machineInfo(tmpdir(), mariadb),
  serviceBuild: '',
  serviceEnv: { ...env, PORT: '(free port)' },
  baselines: { db: {} },
  service: {},
  bullmq: [],
  dashboard: { note: 'not measured' },
  mariadbRss: mariadbPid ? readMem(mariadbPid) : null,
  errors: mariadb ? [] : ['MariaDB not reachable at 127.0.0.1:3306: MariaDB runs skipped'],
}
step(`machine: ${result.machine.cores} cores, fsync ${result.machine.fsyncPerSec}/s, load ${result.machine.loadAvgAtStart.join(' ')}`)

const receiver = await Receiver.start()
const guard = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await fn()
  } catch (err) {
    result.errors.push(`${name}: ${(err as Error).message}`)
    log(`${name} failed: ${(err as Error).message}`)
    return undefined
  }
}

try {
  if (want('baselines')) {
    step('B-http')
    result.baselines.http = await guard('B-http', () => httpBaseline(p))
    for (const d of dialects) {
      step(`B-db ${d}`)
      result.baselines.db[d] = await guard(`B-db ${d}`, () => dbBaseline(p, d))
    }
    step('B-send')
    result.baselines.send = await guard('B-send', () => sendBaseline(p, receiver))
  }
  if (want('service')) {
    const entry = await buildService()
    result.serviceBuild = entry.how
    for (const d of dialects) {
      step(`service on ${d}`)
      const s = await guard(`service ${d}`, () => serviceRuns(p, d, entry, receiver, d === 'mysql' ? mariadbPid : null, log))
      if (s) {
        result.service[d] = s
        result.errors.push(...s.errors.map((e) => `service ${d}: ${e}`))
      }
    }
  }
  if (want('bullmq') && p.bullmq) {
    if (!loadIORedis()) result.errors.push('BullMQ skipped: its Redis client (ioredis) could not be installed')
    else {
      const shared = await guard('redis 6379', () => persistenceOf(6379))
      if (shared) {
        step(`BullMQ on the shared Redis (${shared})`)
        const r = await guard('BullMQ shared', () => bullmqRuns(p, receiver, 6379, pidOf('redis-server'), `Redis :6379, ${shared}`, log))
        if (r) result.bullmq.push(r)
      }
      if (p.bullmqDurable) step('BullMQ on a durable Redis (appendonly yes, appendfsync always)')
      const durable = p.bullmqDurable ? await guard('durable redis', async () => startDurableRedis(await freePort())) : undefined
      if (durable) {
        const r = await guard('BullMQ durable', () => bullmqRuns(p, receiver, durable.port, durable.pid, 'Redis AOF appendfsync always', log))
        if (r) result.bullmq.push(r)
        await durable.stop()
      }
    }
    result.errors.push(...result.bullmq.flatMap((b) => b.errors.map((e) => `BullMQ ${b.redis}: ${e}`)))
  }
  if (want('dashboard')) result.dashboard = dashboardSize()
  if (want('noisy')) {
    result.noisyNeighbour = []
    for (const d of dialects) {
      step(`noisy neighbour on ${d}`)
      const r = await guard(`noisy ${d}`, () => noisyNeighbour(d, p.name === 'quick' ? 5 : 10, log, undefined, undefined, p.name === 'quick' ? 2 : 3))
      if (r) result.noisyNeighbour.push(r)
    }
  }
} finally {
  await receiver.stop()
}

result.fsyncAtEnd = fsyncRate(tmpdir()).perSec
result.finishedAt = new Date().toISOString()
const dir = resolve(REPO, p.name === 'quick' ? 'bench/results/tmp' : 'bench/results')
mkdirSync(dir, { recursive: true })
const stamp = result.startedAt.slice(0, 16).replace(':', '')
writeFileSync(resolve(dir, `${stamp}.json`), JSON.stringify(result, null, 2) + '\n')
writeFileSync(resolve(dir, `${stamp}.md`), renderMarkdown(result))
step(`wrote ${dir}/${stamp}.{json,md}`)
killAll()
process.exit(0)
