// QSM Webhooks run the way cPanel's "Setup Node.js App" runs it: Debian's Apache 2.4 with
// mod_passenger, the app root owned by an unprivileged user, PassengerStartupFile app.cjs, settings
// through SetEnv, a short PassengerPoolIdleTime so the app idles out, and host cron (curl) waking
// it. Loopback only; MariaDB for the database, as on a host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { appProcesses, hostingUnavailable, startApache, type Apache } from './apache.js'
import { hostingDatabase, installApp, linkNodeModules, runAs, runAsAsync, type AppUser } from './app-install.js'
import { freePort } from '../helpers/server-process.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { parseDotEnv } from '../../server/config/load.js'
import { connect, type Db } from '../../server/db/connect.js'
import { newId } from '../../server/db/ids.js'
import { sign } from '../../server/signing/sign.js'
import { mintToken } from '../../server/auth/token.js'
import { EXAMPLES } from '../../server/events/examples.js'

const unavailable = hostingUnavailable()
if (unavailable && process.env.CI) throw new Error(`The hosting tests must run in CI, but ${unavailable}`)
if (unavailable) process.stdout.write(`\nHosting tests SKIPPED: ${unavailable}. .ci/run installs what they need.\n`)

const IDLE_SECONDS = 2
// Longer than Passenger takes to stop the idle app, so the retry cannot go out before cron wakes it.
const RETRY_AFTER = '8s'

let dir: string
let port: number
let brokenPort: number
let socketPort: number
let apache: Apache
let receiver: Receiver
let database: { url: string; drop(): Promise<void> }
let db: Db
let user: AppUser
let appRoot: string
let brokenRoot: string
let socketRoot: string
let cronLineBefore: { stdout: string; stderr: string }
let deliveryId = ''
let cronLine = ''

const api = () => `http://127.0.0.1:${port}`
const env = () => parseDotEnv(readFileSync(join(appRoot, '.env'), 'utf8'))
const delivery = () => db.db.selectFrom('deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirstOrThrow()
const processUser = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])

// Apache, Passenger and a cold app are slow on a busy two-core machine; each step gets a minute.
describe.skipIf(unavailable)('under Apache and Passenger, as cPanel runs it', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qsm-hosting-'))
    port = await freePort()
    brokenPort = await freePort()
    socketPort = await freePort()
    database = await hostingDatabase()
    receiver = await startReceiver()
    receiver.queue({ status: 500, body: 'busy' })
    ;({ user, appRoot, cronLineBefore } = installApp(dir, { QSM_DATABASE_URL: database.url, QSM_PUBLIC_URL: api() }))

    // A second app whose folder its user cannot write (uploaded by root; only app.cjs is the
    // user's, which is what Passenger runs the app as). No secrets set, so it must write .env.
    brokenRoot = join(dir, 'readonly-app')
    mkdirSync(brokenRoot)
    for (const item of ['app.cjs', 'package.json', 'dist']) cpSync(join(appRoot, item), join(brokenRoot, item), { recursive: true })
    linkNodeModules(join(brokenRoot, 'node_modules'))
    chownSync(join(brokenRoot, 'app.cjs'), user.uid, user.gid)
    // A third, with its secrets in SetEnv and no QSM_PUBLIC_URL anywhere: the banner must say so.
    socketRoot = join(dir, 'socket-app')
    mkdirSync(socketRoot)
    for (const item of ['app.cjs', 'package.json', 'dist']) cpSync(join(appRoot, item), join(socketRoot, item), { recursive: true })
    linkNodeModules(join(socketRoot, 'node_modules'))
    spawnSync('chown', ['-R', '-h', `${user.uid}:${user.gid}`, socketRoot])

    const docroot = join(dir, 'public_html')
    mkdirSync(docroot)
    writeFileSync(join(docroot, 'index.html'), 'not the app\n')
    const vhost = (p: number, root: string, settings: Record<string, string>) => `
<VirtualHost 127.0.0.1:${p}>
  DocumentRoot ${docroot}
  PassengerAppRoot ${root}
  PassengerAppType node
  PassengerStartupFile app.cjs
  PassengerNodejs ${process.execPath}
  PassengerMinInstances 0
${Object.entries(settings).map(([k, v]) => `  SetEnv ${k} ${v}`).join('\n')}
  <Directory ${docroot}>
    Require all granted
  </Directory>
</VirtualHost>
`
    apache = await startApache({
      dir: join(dir, 'apache'),
      ports: [port, brokenPort, socketPort],
      modules: ['env', 'passenger'],
      sites: `PassengerPoolIdleTime ${IDLE_SECONDS}\n` +
        vhost(port, appRoot, { QSM_DATABASE_URL: database.url, QSM_PUBLIC_URL: api(), QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_RETRY_SCHEDULE: RETRY_AFTER }) +
        vhost(brokenPort, brokenRoot, { QSM_DATABASE_URL: database.url }) +
        vhost(socketPort, socketRoot, { QSM_DATABASE_URL: database.url, ...TEST_SECRETS }),
    })
  }, 120_000)

  afterAll(async () => {
    await apache?.stop()
    await db?.close()
    await receiver?.close()
    await database?.drop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('creates the tables with npm run migrate, run as the app user', async () => {
    const run = runAs(user, appRoot, 'npm', ['run', 'migrate'])
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Database is up to date \(.*MariaDB/)
    db = await connect(database.url)
  })

  it('answers /healthz from a cold start within seconds, running as the app user', async () => {
    expect(appProcesses(appRoot)).toEqual([])
    const started = Date.now()
    const res = await fetch(`${api()}/healthz`)
    const ms = Date.now() - started
    expect(res.status, apache.logs()).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', database: { kind: 'mysql', reachable: true } })
    expect(ms).toBeLessThan(10_000)
    const pids = appProcesses(appRoot)
    expect(pids).toHaveLength(1)
    expect(processUser(pids[0]!)).toBe(user.uid)
  })

  it('prints the public address in the start banner and in cron-line, never localhost:undefined', () => {
    const logs = apache.logs()
    expect(logs).toContain(`API          ${api()}/v1`)
    expect(logs).toContain(`curl -fsS --max-time 50 "${api()}/tick?token=`)
    expect(logs).not.toContain('undefined')
    // Before QSM_PUBLIC_URL was in .env, cron-line guessed localhost and said so (the guide says to ignore that line).
    expect(cronLineBefore.stdout).toContain('http://localhost:3000/tick')
    expect(cronLineBefore.stderr).toContain('QSM_PUBLIC_URL is not set')
    const line = runAs(user, appRoot, 'npx', ['qsm-webhooks', 'cron-line'])
    expect(line.stdout.trim()).toBe(`*/5 * * * * curl -fsS --max-time 50 "${api()}/tick?token=${env().QSM_CRON_TOKEN}" >/dev/null`)
    expect(line.stderr).not.toContain('QSM_PUBLIC_URL is not set')
    cronLine = line.stdout.trim()
  })

  it('says in the banner that Passenger owns the socket when QSM_PUBLIC_URL is not set, never localhost:undefined', async () => {
    expect((await fetch(`http://127.0.0.1:${socketPort}/healthz`)).status).toBe(200)
    const logs = apache.logs()
    expect(logs).toContain('Passenger (or another front server) owns the socket')
    expect(logs).toContain('curl -fsS --max-time 50 "https://YOUR_ADDRESS/tick?token=')
    expect(logs).not.toContain('undefined')
  })

  it('takes an event through Apache; the failed first delivery is kept, due for retry', async () => {
    const token = await mintToken(env().QSM_BRIDGE_SECRET!, 'usr_host', Date.now())
    const created = await fetch(`${api()}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/hook`, event_types: ['email.*'] }),
    })
    expect(created.status).toBe(201)
    const id = newId('evt', Date.now())
    const body = JSON.stringify({ ...EXAMPLES['email.failed'], id, user_id: 'usr_host', occurred_at: new Date().toISOString() })
    const ts = Math.floor(Date.now() / 1000)
    const ingest = await fetch(`${api()}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(Buffer.from(env().QSM_BRIDGE_SECRET!, 'utf8'), id, ts, body) },
      body,
    })
    expect(ingest.status).toBe(202)
    await receiver.waitFor(1)
    let row
    for (let i = 0; i < 50; i++) {
      row = await db.db.selectFrom('deliveries').selectAll().where('event_id', '=', id).executeTakeFirst()
      if (row?.attempts === 1) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500 })
    expect(Number(row!.next_attempt_at)).toBeGreaterThan(Date.now())
    deliveryId = row!.id
  })

  it('is stopped by Passenger once idle: no app process is left', async () => {
    for (let i = 0; i < 200 && appProcesses(appRoot).length > 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(appProcesses(appRoot)).toEqual([])
    expect(receiver.received).toHaveLength(1)
  })

  it('is woken by the cron command exactly as cron-line prints it, and the retry is delivered once', async () => {
    const due = Number((await delivery()).next_attempt_at)
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now() + 200)))
    expect(appProcesses(appRoot)).toEqual([])
    // The command field of the crontab line: everything after the five time fields.
    const command = cronLine.split(/\s+/).slice(5).join(' ')
    // Not spawnSync: the receiver the retry goes to runs in this process and must answer.
    const cron = await runAsAsync(user, appRoot, '/bin/sh', ['-c', command])
    expect(cron.status, cron.stderr + apache.logs()).toBe(0)
    const row = await delivery()
    expect(row, `${row.last_error}\n${cron.stdout}`).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200 })
    await new Promise((r) => setTimeout(r, 300))
    expect(receiver.received).toHaveLength(2)
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id'])
  })

  it('refuses to start as a user who cannot write the app folder, naming the user, the folder and why', async () => {
    const res = await fetch(`http://127.0.0.1:${brokenPort}/healthz`)
    expect(res.status).toBeGreaterThanOrEqual(500)
    const logs = apache.logs()
    expect(logs).toContain(`cannot write ${brokenRoot}/.env: this process runs as user ${user.name} (uid ${user.uid}), which has no write access to ${brokenRoot}`)
    expect(logs).toContain('on a first start, with fresh random secrets')
    expect(logs).not.toContain('failed to start: EACCES')
  })

  it('leaves no Apache, Passenger or app process behind when stopped', async () => {
    await apache.stop()
    expect(appProcesses(appRoot)).toEqual([])
    expect(appProcesses(brokenRoot)).toEqual([])
    expect(appProcesses(socketRoot)).toEqual([])
  })
})
