// The first-run experience, as a new user meets it: the built server started with no .env.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from '../../helpers/server-process.js'

const ROOT = resolve(import.meta.dirname, '../../..')
// The build goes to a temp folder (never the project's dist/), with a link to node_modules for
// better-sqlite3, the one package the bundle leaves outside.
const BUILD = mkdtempSync(join(tmpdir(), 'qsm-start-build-'))
const MAIN = join(BUILD, 'dist/server/main.mjs')
const CLI = join(BUILD, 'dist/server/cli.mjs')


/** Environment without any QSM_* of the test runner, as on a new user's machine. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('QSM_') && k !== 'PORT') env[k] = v
  return { ...env, ...extra }
}

describe('first start of the built server', () => {
  let dir: string
  let child: ChildProcess | undefined
  let output = ''

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'qsm-start-'))
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--out', BUILD], { cwd: ROOT, encoding: 'utf8' })
    expect(build.status, build.stderr).toBe(0)
    symlinkSync(join(ROOT, 'node_modules'), join(BUILD, 'node_modules'), 'dir')
  })
  afterAll(() => {
    child?.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
    rmSync(BUILD, { recursive: true, force: true })
  })

  it('writes .env, creates the SQLite database and answers /healthz within seconds', async () => {
    const port = await freePort()
    const started = Date.now()
    child = spawn(process.execPath, [MAIN], { cwd: dir, env: cleanEnv({ PORT: String(port) }) })
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    let health: any = null
    while (Date.now() - started < 10_000 && !health) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`)
        health = await res.json()
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    expect(health, output).toMatchObject({ status: 'ok', database: { kind: 'sqlite', reachable: true } })
    expect(Date.now() - started).toBeLessThan(10_000)
    const env = readFileSync(join(dir, '.env'), 'utf8')
    expect(env).toMatch(/^QSM_APP_KEY=base64:[A-Za-z0-9+/=]{44}$/m)
    expect(env).toMatch(/^QSM_CRON_TOKEN=\S{24,}$/m)
    expect(existsSync(join(dir, 'data/qsm-webhooks.db'))).toBe(true)
    // Other accounts on a shared host must not read the database, its WAL or the folder.
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700)
    for (const file of ['qsm-webhooks.db', 'qsm-webhooks.db-wal']) expect(statSync(join(dir, 'data', file)).mode & 0o777, file).toBe(0o600)
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600)
    expect(output).toContain('QSM Webhooks is running')
    expect(output).toContain(`http://localhost:${port}/dashboard/`)
    expect(output).toContain('First start: wrote .env')
    // The banner points at the cron token without printing it.
    const token = /^QSM_CRON_TOKEN=(\S+)$/m.exec(env)![1]!
    expect(output).not.toContain(token)
  })

  it('prints a sign-in link the server accepts', async () => {
    const res = spawnSync(process.execPath, [CLI, 'token', 'user-42'], { cwd: dir, env: cleanEnv(), encoding: 'utf8' })
    expect(res.status).toBe(0)
    const token = /#token=(\S+)/.exec(res.stdout)![1]!
    const port = /localhost:(\d+)\/dashboard/.exec(output)![1]
    const api = await fetch(`http://127.0.0.1:${port}/v1/deliveries`, { headers: { authorization: `Bearer ${token}` } })
    expect(api.status).toBe(200)
  })

  it('prints the cron line with the full token and the same time limit as the banner', () => {
    const res = spawnSync(process.execPath, [CLI, 'cron-line'], { cwd: dir, env: cleanEnv(), encoding: 'utf8' })
    expect(res.status).toBe(0)
    const token = /^QSM_CRON_TOKEN=(\S+)$/m.exec(readFileSync(join(dir, '.env'), 'utf8'))![1]!
    expect(res.stdout).toContain(`/tick?token=${token}"`)
    const limit = /--max-time (\d+)/.exec(res.stdout)![1]
    expect(limit).toBe('50')
    expect(output).toContain(`--max-time ${limit} `)
    expect(output).toContain('npx qsm-webhooks cron-line')
  })

  it('starts when installed under a folder whose name contains "cli" (/home/clive/…)', async () => {
    const app = join(dir, 'home/clive/qsm-webhooks')
    mkdirSync(app, { recursive: true })
    cpSync(join(BUILD, 'dist'), join(app, 'dist'), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'))
    const port = await freePort()
    const run = spawn(process.execPath, [join(app, 'dist/server/main.mjs')], { cwd: app, env: cleanEnv({ PORT: String(port) }) })
    let out = ''
    run.stdout!.on('data', (d) => (out += d))
    run.stderr!.on('data', (d) => (out += d))
    try {
      let status = 0
      for (const started = Date.now(); Date.now() - started < 10_000 && status !== 200 && run.exitCode === null;) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0)
        if (status !== 200) await new Promise((r) => setTimeout(r, 100))
      }
      expect(status, out).toBe(200)
      expect(out).toContain(`http://localhost:${port}/v1`)
    } finally {
      run.kill('SIGTERM')
    }
  })

  it('refuses to start with a bad setting and names it', () => {
    const res = spawnSync(process.execPath, [MAIN], { cwd: dir, env: cleanEnv({ QSM_RETRY_SCHEDULE: '5m,banana' }), encoding: 'utf8', timeout: 10_000 })
    expect(res.status).toBe(1)
    expect(res.stderr).toContain('QSM_RETRY_SCHEDULE "banana" is not a duration')
  })

  it('refuses a MySQL server it cannot reach with a clear message', () => {
    const res = spawnSync(process.execPath, [MAIN], { cwd: dir, env: cleanEnv({ QSM_DATABASE_URL: 'mysql://qsm:secretpw@127.0.0.1:1/qsm' }), encoding: 'utf8', timeout: 15_000 })
    expect(res.status).toBe(1)
    expect(res.stderr).toMatch(/Cannot start: Could not connect to MySQL at mysql:\/\/qsm:\*\*\*@127.0.0.1:1\/qsm/)
    expect(res.stderr).not.toContain('secretpw')
  })
})
