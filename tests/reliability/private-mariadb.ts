// A throwaway MariaDB server of our own, for tests that stop, kill and restart the database.
// The shared MariaDB on 127.0.0.1:3306 is used by other test files in parallel and must never be
// touched, so this starts a separate mariadbd on a free port with its own datadir under /tmp.
//
//   const maria = await startPrivateMariaDb()
//   const url = await maria.createDatabase()      // mysql://root@127.0.0.1:PORT/qsm_r_…
//   await maria.stop('SIGKILL'); await maria.start()   // same datadir, same port
//   await maria.destroy()
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { freePort } from '../helpers/server-process.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'mysql2/promise'

const INSTALL_DB = '/usr/bin/mariadb-install-db'
const MARIADBD = '/usr/sbin/mariadbd'

/** True when this machine can run a private MariaDB (the binaries are installed). */
export const privateMariaDbAvailable = existsSync(INSTALL_DB) && existsSync(MARIADBD)

export interface PrivateMariaDb {
  readonly port: number
  /** mysql://root@127.0.0.1:PORT/ (no database). */
  readonly adminUrl: string
  /** True while the mariadbd process runs. */
  readonly running: boolean
  /** Starts mariadbd on the same datadir and port and waits until it answers. */
  start(): Promise<void>
  /** Stops mariadbd with the signal (SIGTERM: clean shutdown; SIGKILL: crash) and waits for it to exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>
  /** The server's own log, for failure messages. */
  log(): string
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>
}


async function answers(url: string): Promise<boolean> {
  try {
    const conn = await createConnection({ uri: url, connectTimeout: 1000 })
    await conn.query('select 1')
    await conn.end()
    return true
  } catch {
    return false
  }
}

export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  if (!privateMariaDbAvailable) throw new Error(`a private MariaDB needs ${INSTALL_DB} and ${MARIADBD}`)
  const dir = mkdtempSync(join(tmpdir(), 'qsm-maria-'))
  const datadir = join(dir, 'data')
  const install = spawnSync(
    INSTALL_DB,
    ['--no-defaults', '--user=root', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { encoding: 'utf8', timeout: 60_000 },
  )
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`)
  const port = await freePort()
  const adminUrl = `mysql://root@127.0.0.1:${port}/`
  const logFile = join(dir, 'mariadbd.log')
  let child: ChildProcess | undefined

  const args = [
    '--no-defaults', `--datadir=${datadir}`, `--port=${port}`, `--socket=${join(dir, 'sock')}`, `--pid-file=${join(dir, 'pid')}`,
    '--bind-address=127.0.0.1', '--user=root', '--innodb-buffer-pool-size=32M', '--skip-log-bin', '--skip-name-resolve',
    `--log-error=${logFile}`, '--max-connections=200',
  ]

  const api: PrivateMariaDb = {
    port,
    adminUrl,
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null
    },
    async start() {
      if (api.running) return
      const proc = spawn(MARIADBD, args, { stdio: 'ignore' })
      child = proc
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`mariadbd exited while starting:\n${api.log()}`)
        if (await answers(adminUrl)) return
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`mariadbd did not answer in 60 s:\n${api.log()}`)
    },
    async stop(signal = 'SIGTERM') {
      const proc = child
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise<void>((r) => proc.once('exit', () => r()))
      proc.kill(signal)
      await exited
    },
    async createDatabase(name = `qsm_r_${randomBytes(5).toString('hex')}`) {
      const conn = await createConnection({ uri: adminUrl })
      await conn.query(`CREATE DATABASE \`${name}\``)
      await conn.end()
      return `${adminUrl}${name}`
    },
    log() {
      try {
        return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')
      } catch {
        return '(no log)'
      }
    },
    async destroy() {
      await api.stop('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await api.start()
  return api
}
