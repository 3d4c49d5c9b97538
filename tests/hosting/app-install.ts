// Installs QSM Webhooks the way docs/getting-started.md's cPanel section says, as an unprivileged
// Unix user: the project uploaded into an app root that user owns (node_modules linked in, as
// CloudLinux's "Run NPM Install" does into its nodevenv), then, as that user, `npx qsm-webhooks
// cron-line` (writes .env), the settings added to .env, `npm run build` and `npm run migrate`.
import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, chmodSync, chownSync, cpSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { freshSecrets } from '../../server/config/first-run.js'
import { unixUser } from '../helpers/unix-user.js'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createConnection } from 'mysql2/promise'
import { randomBytes } from 'node:crypto'

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
// What a user uploads: the project without node_modules/, dist/, data/ and .env.
const UPLOAD = ['app.cjs', 'package.json', 'package-lock.json', 'bin', 'server', 'migrations', 'scripts', 'tsconfig.json', '.env.example', 'dashboard']

export interface AppUser { name: string; uid: number; gid: number; home: string }

/** The hosting account. Its home is given per test through HOME. */
export function hostingUser(name = 'qsm-t-app'): Omit<AppUser, 'home'> {
  return unixUser(name)
}

export interface Run { status: number | null; stdout: string; stderr: string }

/** Runs a command as the app user in `cwd`, with npm kept off the network (no update check). */
export function runAs(user: AppUser, cwd: string, command: string, args: string[], env: Record<string, string> = {}, timeout = 60_000): Run {
  const res = spawnSync(command, args, {
    cwd, uid: user.uid, gid: user.gid, encoding: 'utf8', timeout,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_AUDIT: 'false',
      NPM_CONFIG_FUND: 'false', NPM_CONFIG_OFFLINE: 'true', ...env,
    },
  })
  return { status: res.status, stdout: res.stdout, stderr: res.stderr }
}

/** runAs without blocking this process, for commands that reach servers the test itself runs. */
export function runAsAsync(user: AppUser, cwd: string, command: string, args: string[], timeout = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, uid: user.uid, gid: user.gid, timeout, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** A fresh MariaDB database for the app (dropped by the returned function). */
export async function hostingDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.QSM_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
  const name = `qsm_h_${randomBytes(4).toString('hex')}`
  const conn = await createConnection({ uri: admin })
  await conn.query(`CREATE DATABASE \`${name}\``)
  await conn.end()
  return {
    url: admin.replace(/\/[^/?]*(\?|$)/, `/${name}$1`),
    async drop() {
      const c = await createConnection({ uri: admin })
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await c.end()
    },
  }
}

function expectOk(what: string, run: Run): Run {
  if (run.status !== 0) throw new Error(`${what} failed (${run.status}):\n${run.stdout}\n${run.stderr}`)
  return run
}

/**
 * Uploads and sets up the app under `<dir>/home/<user>/qsm-webhooks` (the home 0711, as cPanel's).
 * `settings` go into .env after the first cron-line, as step 4 of the guide says.
 */
export function installApp(dir: string, settings: Record<string, string>, o: { firstCronLine?: boolean } = {}): { user: AppUser; appRoot: string; cronLineBefore: Run } {
  const base = hostingUser()
  const home = join(dir, 'home', base.name)
  const user = { ...base, home }
  const appRoot = join(home, 'qsm-webhooks')
  mkdirSync(appRoot, { recursive: true })
  chmodSync(dir, 0o755)
  chmodSync(join(dir, 'home'), 0o755)
  for (const item of UPLOAD) {
    cpSync(join(ROOT, item), join(appRoot, item), { recursive: true, filter: (src) => !src.startsWith(join(ROOT, 'dashboard/dist')) })
  }
  linkNodeModules(join(appRoot, 'node_modules'))
  expectOk('chown', { ...spawnSync('chown', ['-R', '-h', `${user.uid}:${user.gid}`, home], { encoding: 'utf8' }) })
  chmodSync(home, 0o711)
  // Step 4: the first cron-line writes .env with fresh secrets; then the settings are added.
  // (A test that checks other things may skip it and write the same .env itself: it saves seconds.)
  const cronLineBefore = o.firstCronLine === false
    ? (writeEnv(join(appRoot, '.env'), Object.entries(freshSecrets()).map(([k, v]) => `${k}=${v}\n`).join(''), user), { status: 0, stdout: '', stderr: '' })
    : expectOk('npx qsm-webhooks cron-line', runAs(user, appRoot, 'npx', ['qsm-webhooks', 'cron-line']))
  appendFileSync(join(appRoot, '.env'), Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(''))
  // Step 5: build and create the tables.
  expectOk('npm run build', runAs(user, appRoot, 'npm', ['run', 'build']))
  return { user, appRoot, cronLineBefore }
}

function writeEnv(path: string, text: string, user: AppUser): void {
  writeFileSync(path, text, { mode: 0o600 })
  chownSync(path, user.uid, user.gid)
}

/** True when every folder above `path` lets other users through (the app user must reach it). */
function othersCanReach(path: string): boolean {
  for (let p = path; p !== dirname(p); p = dirname(p)) if ((statSync(p).mode & 0o001) === 0) return false
  return true
}

/**
 * Gives an app root this checkout's node_modules: a symlink when the app user can reach it, else
 * (a checkout under /root, say) a hard-linked copy, or a plain copy across file systems.
 */
export function linkNodeModules(target: string): void {
  const source = join(ROOT, 'node_modules')
  if (othersCanReach(source)) return symlinkSync(source, target)
  if (spawnSync('cp', ['-al', source, target]).status === 0) return
  rmSync(target, { recursive: true, force: true })
  if (spawnSync('cp', ['-a', source, target]).status !== 0) throw new Error(`could not copy ${source} to ${target}`)
}
