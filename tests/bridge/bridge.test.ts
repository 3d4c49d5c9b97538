// The PHP bridge against the real server: the php binary runs bridge/qsm-bridge.php, the server
// runs as `node --import tsx server/main.ts` on a SQLite file this test also opens (WAL mode).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TEST_SECRETS } from '../helpers/config.js'
import { freePort, startServerProcess } from '../helpers/server-process.js'
import { seedEndpoint } from '../helpers/seed.js'
import { EXAMPLES } from '../../server/events/examples.js'
import { connect, type Db } from '../../server/db/connect.js'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BRIDGE = join(ROOT, 'bridge/qsm-bridge.php')
const CLI = join(ROOT, 'tests/bridge/fixtures/bridge-cli.php')

let work: string
let port: number
let server: ChildProcess | undefined
let db: Db
let spoolDir: string

const baseUrl = () => `http://127.0.0.1:${port}`
const serverEnv = () => ({
  ...process.env, ...TEST_SECRETS, PORT: String(port), HOST: '127.0.0.1', QSM_DATABASE_URL: `sqlite:${join(work, 'db', 'qsm.db')}`,
  QSM_LOG_LEVEL: 'warn', QSM_ALLOW_PRIVATE_TARGETS: 'true',
})
const phpEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '', QSM_WEBHOOKS_URL: baseUrl(), QSM_BRIDGE_SECRET: TEST_SECRETS.QSM_BRIDGE_SECRET, QSM_SPOOL_DIR: spoolDir, ...extra,
})


async function startServer(): Promise<void> {
  server = await startServerProcess({ cwd: work, env: serverEnv(), port })
}

async function stopServer(): Promise<void> {
  const child = server
  server = undefined
  if (!child || child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

function php(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync('php', args, { env: phpEnv(env), encoding: 'utf8', timeout: 30_000 })
  return { status: res.status, stdout: res.stdout, stderr: res.stderr }
}

function emit(userId: string, type: keyof typeof EXAMPLES, opts: { count?: number; env?: Record<string, string>; data?: unknown } = {}) {
  const res = php([CLI, 'emit', userId, type, JSON.stringify(opts.data ?? EXAMPLES[type].data), String(opts.count ?? 1)], opts.env)
  if (res.status !== 0) throw new Error(`php failed: ${res.stderr}`)
  return JSON.parse(res.stdout) as { ok: boolean; ms: number }[]
}

const spoolFile = () => join(spoolDir, 'spool.jsonl')
const spooledIds = () => (existsSync(spoolFile()) ? readFileSync(spoolFile(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string) : [])
const eventRows = () => db.db.selectFrom('events').select(['id', 'type', 'user_id', 'payload']).execute()
const deliveryRows = () => db.db.selectFrom('deliveries').select(['event_id', 'endpoint_id']).execute()

describe('the PHP bridge against the running server', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'qsm-bridge-'))
    port = await freePort()
    await startServer()
    db = await connect(`sqlite:${join(work, 'db', 'qsm.db')}`)
  })

  beforeEach(async () => {
    if (!server) await startServer()
    for (const table of ['delivery_attempts', 'deliveries', 'events', 'endpoints'] as const) await db.db.deleteFrom(table).execute()
    spoolDir = join(work, `spool-${Date.now()}`)
    mkdirSync(spoolDir)
  })

  afterAll(async () => {
    await stopServer()
    await db?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('lands an emitted event with a delivery for the matching endpoint', async () => {
    const endpointId = await seedEndpoint(db, { userId: 'usr_7', eventTypes: ['email.*'], url: 'http://127.0.0.1:9/hook' })
    await seedEndpoint(db, { userId: 'usr_7', eventTypes: ['usage.*'] })
    const [result] = emit('usr_7', 'email.failed')
    expect(result!.ok).toBe(true)
    const events = await eventRows()
    expect(events).toHaveLength(1)
    const sent = JSON.parse(events[0]!.payload!)
    expect(sent).toMatchObject({ type: 'email.failed', schema_version: 1, user_id: 'usr_7', actor: { type: 'system', id: 'mail-app' }, data: EXAMPLES['email.failed'].data })
    expect(sent.id).toMatch(/^evt_[0-9A-Z]{26}$/)
    expect(sent.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(await deliveryRows()).toEqual([{ event_id: sent.id, endpoint_id: endpointId }])
    expect(spooledIds()).toEqual([])
  })

  it('works over PHP streams when curl is not used', async () => {
    await seedEndpoint(db, { userId: 'usr_7', eventTypes: ['*'] })
    expect(emit('usr_7', 'usage.threshold_reached', { env: { QSM_BRIDGE_TRANSPORT: 'streams' } })[0]!.ok).toBe(true)
    expect(await deliveryRows()).toHaveLength(1)
  })

  it('does not spool an event the server refuses as invalid, and keeps it in rejected.jsonl', async () => {
    const [result] = emit('usr_7', 'email.received', { data: { ...EXAMPLES['email.received'].data, subject: 'Invoice' } })
    expect(result!.ok).toBe(false)
    expect(spooledIds()).toEqual([])
    expect(readFileSync(join(spoolDir, 'rejected.jsonl'), 'utf8')).toContain('"subject"')
    expect(await eventRows()).toEqual([])
  })

  it('mints a dashboard link whose token the server accepts', async () => {
    const res = php([CLI, 'url', 'usr_7'], { QSM_DASHBOARD_URL: 'https://dash.example/app/' })
    const { url } = JSON.parse(res.stdout) as { url: string }
    expect(url).toMatch(/^https:\/\/dash\.example\/app\/#token=[\w-]+\.[\w-]+\.[\w-]+$/)
    const token = url.split('#token=')[1]!
    const ok = await fetch(`${baseUrl()}/v1/event-types`, { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    const forged = await fetch(`${baseUrl()}/v1/event-types`, { headers: { authorization: `Bearer ${token.slice(0, -2)}xx` } })
    expect(forged.status).toBe(401)
  })

  it("passes the owner's address in the dashboard link, and the server keeps it for alerts", async () => {
    const res = php([CLI, 'url', 'usr_8', 'owner@example.test'])
    const token = (JSON.parse(res.stdout) as { url: string }).url.split('#token=')[1]!
    const settings = await fetch(`${baseUrl()}/v1/alert-settings`, { headers: { authorization: `Bearer ${token}` } })
    expect(settings.status).toBe(200)
    expect(await settings.json()).toMatchObject({ email: 'owner@example.test', enabled: true, source: 'token' })
  })

  it('spools quickly while the server is down, then a cron flush delivers each event exactly once', async () => {
    await seedEndpoint(db, { userId: 'usr_7', eventTypes: ['*'] })
    await stopServer()
    const results = [
      ...emit('usr_7', 'email.forwarded', { count: 3 }),
      ...emit('usr_7', 'overflow.hold_started', { count: 2, env: { QSM_BRIDGE_TRANSPORT: 'streams' } }),
    ]
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false, false])
    for (const r of results) expect(r.ms).toBeLessThan(2500)
    const ids = spooledIds()
    expect(ids).toHaveLength(5)
    expect(new Set(ids).size).toBe(5)

    // While still down, a flush keeps everything and says so with its exit code.
    const downFlush = php([BRIDGE, 'flush'])
    expect(downFlush.status).toBe(1)
    expect(downFlush.stdout).toMatch(/sent 0, duplicates 0, rejected 0, remaining 5/)
    expect(spooledIds().sort()).toEqual([...ids].sort())

    await startServer()
    const flush = php([BRIDGE, 'flush'])
    expect(flush.stdout).toMatch(/sent 5, duplicates 0, rejected 0, remaining 0/)
    expect(flush.status).toBe(0)
    expect((await eventRows()).map((e) => e.id).sort()).toEqual([...ids].sort())
    expect((await deliveryRows()).map((d) => d.event_id).sort()).toEqual([...ids].sort())

    const again = php([BRIDGE, 'flush'])
    expect(again.stdout).toMatch(/sent 0, duplicates 0, rejected 0, remaining 0/)
    expect(await deliveryRows()).toHaveLength(5)
  })

  it('resends a spooled event already stored as a duplicate, never a second delivery', async () => {
    await seedEndpoint(db, { userId: 'usr_7', eventTypes: ['*'] })
    expect(emit('usr_7', 'email.spam')[0]!.ok).toBe(true)
    // As if the server stored it but the answer was lost: the same line sits in the spool.
    const [stored] = await eventRows()
    writeFileSync(spoolFile(), stored!.payload + '\n')
    expect(php([BRIDGE, 'flush']).stdout).toMatch(/sent 0, duplicates 1, rejected 0, remaining 0/)
    expect(await deliveryRows()).toHaveLength(1)
  })

  it('lets two flushes run at once without sending anything twice or losing anything', async () => {
    await seedEndpoint(db, { userId: 'usr_7', eventTypes: ['*'] })
    await stopServer()
    emit('usr_7', 'usage.threshold_reached', { count: 40 })
    const ids = spooledIds()
    await startServer()
    const run = () => new Promise<string>((done) => {
      const child = spawn('php', [BRIDGE, 'flush'], { env: phpEnv() })
      let out = ''
      child.stdout.on('data', (c) => (out += c))
      child.on('exit', () => done(out))
    })
    const outputs = await Promise.all([run(), run()])
    const sent = outputs.map((o) => Number(/sent (\d+)/.exec(o)![1])).reduce((a, b) => a + b, 0)
    expect(sent).toBe(40)
    expect((await deliveryRows()).map((d) => d.event_id).sort()).toEqual([...ids].sort())
    expect(spooledIds()).toEqual([])
  })

  it('drains part of the spool from a later qsm_emit once the last attempt is over 30 s old', async () => {
    await seedEndpoint(db, { userId: 'usr_7', eventTypes: ['*'] })
    await stopServer()
    emit('usr_7', 'overflow.hold_released', { count: 60 })
    expect(spooledIds()).toHaveLength(60)
    await startServer()
    // A recent attempt: the next emit leaves the spool alone.
    expect(emit('usr_7', 'email.received')[0]!.ok).toBe(true)
    expect(spooledIds()).toHaveLength(60)
    const old = Date.now() / 1000 - 60
    utimesSync(join(spoolDir, 'last-flush'), old, old)
    expect(emit('usr_7', 'email.received')[0]!.ok).toBe(true)
    // At most 50 resent inline; the cron flush does the rest.
    expect(spooledIds()).toHaveLength(10)
    expect(await deliveryRows()).toHaveLength(52)
  })
})
