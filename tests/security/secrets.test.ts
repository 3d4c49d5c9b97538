// Secrets stay secret. A whole scenario — create endpoints (generated and supplied secrets), rotate,
// reveal, replace, ingest, deliver with failures and retries, test send, tick, and every kind of
// error — runs with logging at debug level, once in-process (createLogger with a captured sink) on
// each database, and once as a real server process (QSM_LOG_LEVEL=debug, stdout/stderr captured).
// Then no webhook secret (whole, or its key part), bridge secret, cron token, app key or derived
// key may appear in any log line, in any response other than the three that exist to hand a
// secret to its owner, in any response header, or in any column of any table.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { createLogger } from '../../server/log.js'
import { dashboardTokenKey, mintToken } from '../../server/auth/token.js'
import { connect } from '../../server/db/connect.js'
import { bridgeHeaders, dumpAllRows, exampleEvent, overHttp, sleep, type Requestable } from '../reliability/support.js'
import { waitUntil } from '../helpers/wait.js'
import { freePort } from '../helpers/server-process.js'
import { startLedgerReceiver, type LedgerReceiver } from '../reliability/ledger.js'
import { parseJsonOr } from '../helpers/json.js'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href

/** Every spelling of the service's own secrets that must never show up. */
function serviceSecrets(): Record<string, string> {
  const decoded = (v: string) => Buffer.from(v.slice('base64:'.length), 'base64')
  return {
    'app key': TEST_SECRETS.QSM_APP_KEY,
    'app key (base64 part)': TEST_SECRETS.QSM_APP_KEY.slice('base64:'.length),
    'app key (hex)': decoded(TEST_SECRETS.QSM_APP_KEY).toString('hex'),
    'bridge secret': TEST_SECRETS.QSM_BRIDGE_SECRET,
    'bridge secret (base64 part)': TEST_SECRETS.QSM_BRIDGE_SECRET.slice('base64:'.length),
    'bridge secret (hex)': decoded(TEST_SECRETS.QSM_BRIDGE_SECRET).toString('hex'),
    'dashboard token key': dashboardTokenKey(TEST_SECRETS.QSM_BRIDGE_SECRET),
    'cron token': TEST_SECRETS.QSM_CRON_TOKEN,
  }
}

interface Seen {
  /** Responses that may carry a secret: create, rotate, reveal (to the owner). */
  handing: string[]
  /** Every other response body and every response's headers. */
  other: string[]
  /** Webhook secrets handed out during the scenario. */
  webhookSecrets: string[]
  statuses: Record<string, number>
}

/**
 * The scenario, over any client (app.request or a real socket). `tick` is called where the cron
 * would run; it answers the tick's status (404 while the delivery engine is not there).
 */
async function scenario(client: Requestable, receiver: LedgerReceiver, now: () => number): Promise<Seen> {
  const seen: Seen = { handing: [], other: [], webhookSecrets: [], statuses: {} }
  const call = async (label: string, path: string, init: RequestInit & { user?: string | null; json?: unknown } = {}, handsSecret = false) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) }
    if (init.user) headers.authorization = `Bearer ${await mintToken(TEST_SECRETS.QSM_BRIDGE_SECRET, init.user, now())}`
    if (init.json !== undefined) headers['content-type'] = 'application/json'
    const res = await client.request(path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body })
    const text = await res.text()
    seen.statuses[label] = res.status
    seen.other.push([...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n'))
    if (handsSecret && res.status < 300) seen.handing.push(text)
    else seen.other.push(text)
    const json = parseJsonOr(text, () => null)
    return { status: res.status, json }
  }

  // Endpoints: one with a generated secret (fails twice, then succeeds), one with a supplied secret.
  receiver.reply = (hit, n) => (hit.path === '/a' && n < 2 ? { status: 500, body: 'boom: whsec_not-ours' } : { status: 200, body: 'ok' })
  const a = await call('create a', '/v1/webhooks', { method: 'POST', user: 'alice', json: { url: `${receiver.url}/a`, event_types: ['*'] } }, true)
  const supplied = 'whsec_' + Buffer.alloc(32, 0x5a).toString('base64')
  const b = await call('create b', '/v1/webhooks', { method: 'POST', user: 'alice', json: { url: `${receiver.url}/b`, event_types: ['email.*'], secret: supplied } }, true)
  seen.webhookSecrets.push(a.json.secret, supplied)
  const rotated = await call('rotate a', `/v1/webhooks/${a.json.id}/rotate-secret`, { method: 'POST', user: 'alice', json: { grace_seconds: 3600 } }, true)
  seen.webhookSecrets.push(rotated.json.secret)
  const revealed = await call('reveal a', `/v1/webhooks/${a.json.id}/secret`, { user: 'alice' }, true)
  seen.webhookSecrets.push(revealed.json.secret)
  const replacement = 'whsec_' + Buffer.alloc(40, 0x33).toString('base64')
  await call('replace b', `/v1/webhooks/${b.json.id}`, { method: 'PATCH', user: 'alice', json: { secret: replacement } })
  seen.webhookSecrets.push(replacement)

  // Errors that might echo what was sent: a weak secret, a malformed one, wrong user, bad token.
  const weak = 'whsec_' + Buffer.alloc(16, 0x41).toString('base64')
  const malformed = 'whsec_' + Buffer.alloc(33, 0x42).toString('base64') + '!'
  const hostile = 'whsec_' + Buffer.alloc(70, 0x43).toString('base64')
  seen.webhookSecrets.push(weak, malformed, hostile)
  for (const s of [weak, malformed, hostile]) {
    await call(`bad secret ${s.length}`, `/v1/webhooks/${b.json.id}`, { method: 'PATCH', user: 'alice', json: { secret: s } })
    await call(`bad secret create ${s.length}`, '/v1/webhooks', { method: 'POST', user: 'alice', json: { url: `${receiver.url}/c`, event_types: ['*'], secret: s } })
  }
  await call('bob reveals', `/v1/webhooks/${a.json.id}/secret`, { user: 'bob' })
  await call('bob rotates', `/v1/webhooks/${a.json.id}/rotate-secret`, { method: 'POST', user: 'bob', json: {} })
  await call('no token', `/v1/webhooks/${a.json.id}/secret`, {})
  await call('token with the bridge secret inside', '/v1/webhooks', { headers: { authorization: `Bearer ${TEST_SECRETS.QSM_BRIDGE_SECRET}` } })

  // Ingest: good, wrongly signed (with the app key), expired, invalid.
  const events = [exampleEvent('email.failed', 'alice'), exampleEvent('usage.threshold_reached', 'alice'), exampleEvent('email.received', 'alice')]
  const body = JSON.stringify({ events })
  await call('ingest', '/v1/events', { method: 'POST', headers: bridgeHeaders(body, now()), body })
  const one = JSON.stringify(exampleEvent('email.spam', 'alice'))
  await call('ingest wrong key', '/v1/events', { method: 'POST', headers: bridgeHeaders(one, now(), { secret: TEST_SECRETS.QSM_APP_KEY }), body: one })
  await call('ingest stale', '/v1/events', { method: 'POST', headers: bridgeHeaders(one, now(), { timestamp: Math.floor(now() / 1000) - 3600 }), body: one })
  const invalid = JSON.stringify({ ...exampleEvent('email.spam', 'alice'), secret: revealed.json.secret })
  await call('ingest invalid', '/v1/events', { method: 'POST', headers: bridgeHeaders(invalid, now()), body: invalid })

  // Cron: wrong and right tokens (the right one in the query string, as the cron line does).
  await call('tick no token', '/tick')
  await call('tick wrong token', '/tick?token=' + TEST_SECRETS.QSM_CRON_TOKEN.slice(0, -1) + 'x')
  await call('tick bearer wrong', '/tick', { headers: { authorization: 'Bearer ' + TEST_SECRETS.QSM_APP_KEY } })
  for (let i = 0; i < 4; i++) {
    await call(`tick ${i}`, '/tick?token=' + encodeURIComponent(TEST_SECRETS.QSM_CRON_TOKEN))
  }
  await call('test send', `/v1/webhooks/${a.json.id}/test`, { method: 'POST', user: 'alice', json: {} })
  await call('deliveries', '/v1/deliveries', { user: 'alice' })
  const list = await call('deliveries again', '/v1/deliveries', { user: 'alice' })
  for (const d of list.json?.data ?? []) await call(`delivery ${d.id}`, `/v1/deliveries/${d.id}`, { user: 'alice' })
  await call('healthz', '/healthz')
  await call('openapi', '/openapi.json')
  return seen
}

function leaks(haystacks: Record<string, string[]>, secrets: Record<string, string>): string[] {
  const found: string[] = []
  for (const [where, texts] of Object.entries(haystacks)) {
    for (const text of texts) {
      for (const [name, secret] of Object.entries(secrets)) {
        if (secret && text.includes(secret)) found.push(`${name} in ${where}: …${text.slice(Math.max(0, text.indexOf(secret) - 60), text.indexOf(secret) + 20)}…`)
      }
    }
  }
  return found
}

function allSecrets(seen: Seen): Record<string, string> {
  const out = serviceSecrets()
  seen.webhookSecrets.forEach((s, i) => {
    if (!s) return
    out[`webhook secret ${i}`] = s
    out[`webhook secret ${i} (key part)`] = s.slice('whsec_'.length)
  })
  return out
}

for (const dialect of dialects()) {
  describe(`${dialect}: no secret in logs, responses or rows (in-process, debug logging)`, () => {
    const t = useTestDb(dialect)
    let receiver: LedgerReceiver
    beforeAll(async () => {
      receiver = await startLedgerReceiver()
    })
    afterAll(async () => receiver?.close())

    it('runs the whole scenario and finds no secret anywhere it must not be', async () => {
      const lines: string[] = []
      const log = createLogger({
        level: 'debug',
        secrets: [TEST_SECRETS.QSM_APP_KEY, TEST_SECRETS.QSM_BRIDGE_SECRET, TEST_SECRETS.QSM_CRON_TOKEN],
        write: (line) => lines.push(line),
      })
      const app = makeTestApp(t.db, { log, env: { QSM_RETRY_SCHEDULE: '1s,1s,1s' } })
      const seen = await scenario(app.app, receiver, () => app.clock.now())
      const secrets = allSecrets(seen)
      expect(seen.webhookSecrets.filter(Boolean).length).toBeGreaterThanOrEqual(7)
      expect(seen.statuses['create a']).toBe(201)
      expect(seen.statuses['ingest']).toBe(202)
      // The scenario reached every kind of answer it was meant to.
      expect(seen.statuses['bob reveals']).toBe(404)
      expect(seen.statuses['ingest wrong key']).toBe(401)
      expect(seen.statuses['bad secret 30']).toBe(422)
      const dump = await dumpAllRows(t.db)
      expect(leaks({ logs: lines, responses: seen.other, rows: [dump] }, secrets)).toEqual([])
      // Nothing even tried: redaction markers would mean a secret reached the logger.
      expect(lines.filter((l) => l.includes('[redacted]'))).toEqual([])
      // The handing responses do hand over the secret (the control that the search works).
      expect(leaks({ handing: seen.handing }, secrets).length).toBeGreaterThan(0)
    })
  })
}

describe('no secret in a real server process at QSM_LOG_LEVEL=debug', () => {
  let work: string
  let child: ChildProcess
  let output = ''
  let port: number
  let receiver: LedgerReceiver

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'qsm-secrets-'))
    port = await freePort()
    receiver = await startLedgerReceiver()
    child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'server/main.ts')], {
      cwd: work,
      env: {
        ...process.env, ...TEST_SECRETS, PORT: String(port), HOST: '127.0.0.1', QSM_DATABASE_URL: `sqlite:${join(work, 'qsm.db')}`,
        QSM_LOG_LEVEL: 'debug', QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_RETRY_SCHEDULE: '1s,1s,1s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (c) => (output += c))
    child.stderr!.on('data', (c) => (output += c))
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited: ${output}`)
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return
      } catch {
        /* not up yet */
      }
      await sleep(100)
    }
    throw new Error(`server did not start: ${output}`)
  }, 60_000)

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    await receiver?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('runs the whole scenario over HTTP and finds no secret in stdout, stderr, responses or the database', async () => {
    const seen = await scenario(overHttp(`http://127.0.0.1:${port}`), receiver, () => Date.now())
    // Wait until the in-process loop has sent every first attempt and none is in flight (a sending
    // delivery shows pending with no next attempt), then stop the server so its shutdown lines
    // are captured too.
    const http = overHttp(`http://127.0.0.1:${port}`)
    await waitUntil(async () => {
      for (const user of ['alice', 'bob']) {
        const headers = { authorization: `Bearer ${await mintToken(TEST_SECRETS.QSM_BRIDGE_SECRET, user, Date.now())}` }
        const page = await (await http.request('/v1/deliveries?limit=100', { headers })).json() as { data: { attempts: number; status: string; next_attempt_at: string | null }[] }
        if (page.data.some((d) => d.attempts === 0 || (d.status === 'pending' && d.next_attempt_at === null))) return false
      }
      return true
    }, 10_000, 'every delivery to have its first attempt and none in flight')
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
    const secrets = allSecrets(seen)
    expect(seen.statuses['create a']).toBe(201)
    expect(seen.statuses['ingest']).toBe(202)
    const db = await connect(`sqlite:${join(work, 'qsm.db')}`)
    const dump = await dumpAllRows(db)
    await db.close()
    expect(output.length).toBeGreaterThan(0)
    expect(leaks({ 'server output': [output], responses: seen.other, rows: [dump] }, secrets)).toEqual([])
    expect(output.split('\n').filter((l) => l.includes('[redacted]'))).toEqual([])
  }, 60_000)
})
