// Redis for the BullMQ comparison. BullMQ 6.7 needs a Redis client (ioredis) that the project does
// not depend on; the bench installs it into bench/results/tmp/deps (git-ignored) rather than the
// shared node_modules, and hands BullMQ constructed clients (its ESM build cannot require one).
// A second, durable redis-server (AOF, fsync on every write) is started here for the fair run.
import { createRequire } from 'node:module'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { REPO } from './proc.js'
import { sleep } from './stats.js'

export const IOREDIS_VERSION = '5.11.1'
const DEPS = resolve(REPO, 'bench/results/tmp/deps')

type IORedisCtor = new (opts: Record<string, unknown>) => any

/** The ioredis constructor, installing it into the bench's private deps folder on first use. */
export function loadIORedis(install = true): IORedisCtor | null {
  for (const base of [REPO, DEPS]) {
    try {
      const mod = createRequire(join(base, 'package.json'))('ioredis')
      return mod.default ?? mod
    } catch {
      // try the next place
    }
  }
  if (!install) return null
  process.stderr.write(`bench: installing ioredis@${IOREDIS_VERSION} into bench/results/tmp/deps (BullMQ's Redis client)\n`)
  mkdirSync(DEPS, { recursive: true })
  if (!existsSync(join(DEPS, 'package.json'))) writeFileSync(join(DEPS, 'package.json'), '{"private":true}\n')
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', `ioredis@${IOREDIS_VERSION}`], { cwd: DEPS, stdio: 'ignore', timeout: 120_000 })
  } catch {
    return null
  }
  return loadIORedis(false)
}

export function redisClient(port: number): any {
  const IORedis = loadIORedis()
  if (!IORedis) throw new Error('ioredis is not available')
  // BullMQ workers block on Redis; ioredis must not give up on those commands.
  const client = new IORedis({ host: '127.0.0.1', port, maxRetriesPerRequest: null })
  // Connection errors surface on the commands that fail; without a listener ioredis prints them.
  client.on('error', () => {})
  return client
}

export interface DurableRedis {
  port: number
  pid: number
  stop(): Promise<void>
}

/** redis-server with appendonly yes + appendfsync always: "durable at ack", like an fsynced COMMIT. */
export async function startDurableRedis(port: number): Promise<DurableRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'qsm-bench-redis-'))
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', dir, '--daemonize', 'no'],
    { stdio: 'ignore' },
  )
  const client = redisClient(port)
  for (let i = 0; i < 50; i++) {
    try {
      if ((await client.ping()) === 'PONG') break
    } catch {
      // starting
    }
    await sleep(100)
  }
  await client.quit().catch(() => {})
  return {
    port,
    pid: proc.pid!,
    async stop() {
      const exited = new Promise((res) => proc.once('exit', res))
      proc.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** What the shared Redis on 6379 does about durability (reported next to its figures). */
export async function persistenceOf(port: number): Promise<string> {
  const c = redisClient(port)
  try {
    const aof = ((await c.config('GET', 'appendonly')) as string[])[1]
    const fsync = ((await c.config('GET', 'appendfsync')) as string[])[1]
    const save = ((await c.config('GET', 'save')) as string[])[1]
    return aof === 'yes' ? `AOF, appendfsync ${fsync}` : save ? `no AOF; RDB snapshots "${save}"` : 'no persistence (no AOF, no RDB)'
  } finally {
    await c.quit().catch(() => {})
  }
}
