// Shared by the bridge's safety tests: the real server as a child process over a SQLite file the
// test also reads, and php runs of the bridge (optionally as another Unix user, see
// tests/helpers/unix-user.ts).
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import { TEST_SECRETS } from '../helpers/config.js'
import { freePort, startServerProcess } from '../helpers/server-process.js'
import { connect, type Db } from '../../server/db/connect.js'
import { EXAMPLES } from '../../server/events/examples.js'
import type { UnixUser } from '../helpers/unix-user.js'

export { unixUser, type UnixUser } from '../helpers/unix-user.js'

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
export const BRIDGE = join(ROOT, 'bridge/qsm-bridge.php')
export const CLI = join(ROOT, 'tests/bridge/fixtures/bridge-cli.php')

export interface PhpRun { status: number | null; stdout: string; stderr: string; ms: number }

export interface BridgeStack {
  work: string
  /**
   * Copies of the bridge and the fixture inside `work`, for runs as another Unix user: the
   * checkout may sit where other users cannot reach (/root/...), the temp folder never does.
   */
  bridge: string
  cli: string
  port: number
  db: Db
  url(): string
  /** php with the bridge settings in its environment; `as` runs it as that Unix user. */
  php(args: string[], o?: { env?: Record<string, string>; as?: UnixUser }): PhpRun
  /** qsm_emit through the fixture; data defaults to the type's example. */
  emit(userId: string, type: keyof typeof EXAMPLES, o?: { env?: Record<string, string>; as?: UnixUser; data?: unknown }): PhpRun & { ok: boolean[] }
  stopServer(): Promise<void>
  startServer(): Promise<void>
  close(): Promise<void>
}

export async function startBridgeStack(): Promise<BridgeStack> {
  const work = mkdtempSync(join(tmpdir(), 'qsm-bridge-safety-'))
  // Other Unix users must reach their folders inside it; nothing secret sits at this level.
  chmodSync(work, 0o755)
  mkdirSync(join(work, 'bridge-copy'))
  const bridge = join(work, 'bridge-copy', 'qsm-bridge.php')
  const cli = join(work, 'bridge-copy', 'bridge-cli.php')
  copyFileSync(BRIDGE, bridge)
  copyFileSync(CLI, cli)
  const port = await freePort()
  const dbUrl = `sqlite:${join(work, 'db', 'qsm.db')}`
  const serverEnv = { ...process.env, ...TEST_SECRETS, PORT: String(port), HOST: '127.0.0.1', QSM_DATABASE_URL: dbUrl, QSM_LOG_LEVEL: 'warn', QSM_ALLOW_PRIVATE_TARGETS: 'true' }
  let server: ChildProcess | undefined = await startServerProcess({ cwd: work, env: serverEnv, port })
  const db = await connect(dbUrl)
  const stack: BridgeStack = {
    work,
    bridge,
    cli,
    port,
    db,
    url: () => `http://127.0.0.1:${port}`,
    php(args, o = {}) {
      const env = { PATH: process.env.PATH ?? '', QSM_WEBHOOKS_URL: stack.url(), QSM_BRIDGE_SECRET: TEST_SECRETS.QSM_BRIDGE_SECRET, ...o.env }
      const started = Date.now()
      const res = spawnSync('php', ['-d', 'error_reporting=-1', '-d', 'display_errors=stderr', '-d', 'log_errors=0', ...args], {
        env, encoding: 'utf8', timeout: 30_000, cwd: work, ...(o.as ? { uid: o.as.uid, gid: o.as.gid } : {}),
      })
      return { status: res.status, stdout: res.stdout, stderr: res.stderr, ms: Date.now() - started }
    },
    emit(userId, type, o = {}) {
      const env = o.as ? { QSM_TEST_BRIDGE: bridge, ...o.env } : o.env
      const run = stack.php([o.as ? cli : CLI, 'emit', userId, type, JSON.stringify(o.data ?? EXAMPLES[type].data)], { ...o, env })
      if (run.status !== 0) throw new Error(`php failed (${run.status}): ${run.stderr}`)
      return { ...run, ok: (JSON.parse(run.stdout) as { ok: boolean }[]).map((r) => r.ok) }
    },
    async stopServer() {
      const child = server
      server = undefined
      if (!child || child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
    async startServer() {
      if (!server) server = await startServerProcess({ cwd: work, env: serverEnv, port })
    },
    async close() {
      await stack.stopServer()
      await db.close()
      rmSync(work, { recursive: true, force: true })
    },
  }
  return stack
}
