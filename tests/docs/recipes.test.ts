// The verification recipes of docs/verifying-signatures.md (docs/recipes/verify.{mjs,php,py}) run
// with real node, php and python3 against a real signed delivery: an endpoint created through the
// API, whose test event the service sends to a loopback receiver. Each recipe must accept it and
// refuse a changed body, a wrong secret and a stale timestamp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp, type TestApp } from '../helpers/app.js'
import { startReceiver, type Receiver, type Received } from '../helpers/receiver.js'
import { secretKey, signatureHeader } from '../../server/signing/sign.js'
import { ROOT } from './blocks.js'

const RECIPES = [
  { name: 'Node.js', cmd: process.execPath, file: 'docs/recipes/verify.mjs' },
  { name: 'PHP', cmd: 'php', file: 'docs/recipes/verify.php' },
  { name: 'Python 3', cmd: 'python3', file: 'docs/recipes/verify.py' },
]

interface Delivery {
  secret: string
  headers: Record<string, string>
  body: string
}

function runRecipe(cmd: string, file: string, d: Delivery) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    WEBHOOK_SECRET: d.secret,
    WEBHOOK_ID: d.headers['webhook-id'],
    WEBHOOK_TIMESTAMP: d.headers['webhook-timestamp'],
    WEBHOOK_SIGNATURE: d.headers['webhook-signature'],
  }
  const r = spawnSync(cmd, [join(ROOT, file)], { env, input: d.body, encoding: 'utf8', timeout: 20_000 })
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() }
}

/** The same delivery, signed again by `secret` at `timestamp` (what a stale or replayed request looks like). */
function resigned(d: Delivery, secret: string, timestamp: number): Delivery {
  const id = d.headers['webhook-id']!
  return {
    ...d,
    headers: { ...d.headers, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader([secretKey(secret)], id, timestamp, d.body) },
  }
}

const newSecret = () => 'whsec_' + randomBytes(32).toString('base64')

describe('verification recipes against a real delivery', () => {
  const t = useTestDb('sqlite')
  let receiver: Receiver
  let api: TestApp
  let keyId: string
  let secret: string
  let delivery: Delivery
  let received: Received

  beforeAll(async () => {
    receiver = await startReceiver()
    api = makeTestApp(t.db)
    // The app's clock is the real time: the recipes check the timestamp against their own clock.
    const created = await api.call('user-recipes', 'POST', '/v1/webhooks', { url: receiver.url + '/hooks/qsm', event_types: ['*'], description: 'recipes' })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    const endpointId = created.json.id
    secret = created.json.secret
    keyId = created.json.secret_key_id
    const test = await api.call('user-recipes', 'POST', `/v1/webhooks/${endpointId}/test`)
    expect(test.status, JSON.stringify(test.json)).toBe(200)
    expect(test.json.ok, JSON.stringify(test.json)).toBe(true)
    received = (await receiver.waitFor(1))[0]!
    delivery = { secret, headers: received.headers, body: received.body }
  })
  afterAll(async () => {
    await receiver?.close()
    await api?.deps.sender.close()
  })

  // useTestDb empties the tables before each test: tests below use the captured request only, and
  // the rotation test makes its own endpoint.
  it('the captured request is a real signed webhook.test delivery with the documented headers', () => {
    expect(received.method).toBe('POST')
    const h = received.headers
    const event = JSON.parse(received.body)
    expect(event.type).toBe('webhook.test')
    expect(h['content-type']).toMatch(/^application\/json/)
    expect(h['webhook-id']).toBe(event.id)
    expect(h['webhook-timestamp']).toMatch(/^\d+$/)
    expect(Math.abs(Number(h['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60)
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    // docs/verifying-signatures.md and docs/reference.md describe the X-QSM-* headers this way.
    expect(h['x-qsm-event-id']).toBe(h['webhook-id'])
    expect(h['x-qsm-event-type']).toBe('webhook.test')
    expect(h['x-qsm-timestamp']).toBe(h['webhook-timestamp'])
    expect(h['x-qsm-signature']).toBe(h['webhook-signature'])
    expect(h['x-qsm-key-id']).toBe(keyId)
  })

  it('a Standard Webhooks library (npm standardwebhooks) accepts it unchanged, as the docs say', () => {
    expect(() => new Webhook(secret).verify(delivery.body, delivery.headers)).not.toThrow()
  })

  for (const r of RECIPES) {
    describe(`${r.name} recipe (${r.file})`, () => {
      it('accepts the real delivery', () => {
        const res = runRecipe(r.cmd, r.file, delivery)
        expect(res, JSON.stringify(res)).toMatchObject({ code: 0, out: 'valid' })
      })

      it('refuses a body changed by one character', () => {
        const res = runRecipe(r.cmd, r.file, { ...delivery, body: delivery.body.replace('webhook.test', 'webhook.tesT') })
        expect(res.code).toBe(1)
        expect(res.err).toMatch(/^invalid: no signature matches/)
      })

      it('refuses a body re-encoded by a JSON parser (pretty-printed)', () => {
        const res = runRecipe(r.cmd, r.file, { ...delivery, body: JSON.stringify(JSON.parse(delivery.body), null, 2) })
        expect(res.code).toBe(1)
      })

      it('refuses the delivery under a wrong secret', () => {
        const res = runRecipe(r.cmd, r.file, { ...delivery, secret: newSecret() })
        expect(res.code).toBe(1)
        expect(res.err).toMatch(/^invalid: no signature matches/)
      })

      it('refuses a correctly signed delivery whose timestamp is 6 minutes old, or 6 minutes ahead', () => {
        const now = Math.floor(Date.now() / 1000)
        for (const ts of [now - 360, now + 360]) {
          const res = runRecipe(r.cmd, r.file, resigned(delivery, secret, ts))
          expect(res.code).toBe(1)
          expect(res.err).toMatch(/^invalid: timestamp is more than 5 minutes from now/)
        }
      })

      it('accepts a correctly signed delivery 4 minutes old (inside the tolerance)', () => {
        const res = runRecipe(r.cmd, r.file, resigned(delivery, secret, Math.floor(Date.now() / 1000) - 240))
        expect(res.code).toBe(0)
      })

      it('refuses a request without signature headers, and says how to run it without a secret', () => {
        const res = runRecipe(r.cmd, r.file, { ...delivery, headers: { ...delivery.headers, 'webhook-signature': '' } })
        expect(res.code).toBe(1)
        expect(res.err).toMatch(/missing webhook-id, webhook-timestamp or webhook-signature/)
        const noSecret = runRecipe(r.cmd, r.file, { ...delivery, secret: '' })
        expect(noSecret.code).toBe(2)
        expect(noSecret.err).toMatch(/Set WEBHOOK_SECRET/)
      })
    })
  }

  it('during a rotation, every recipe accepts a real delivery with the old secret and with the new one', async () => {
    const created = await api.call('user-rotation', 'POST', '/v1/webhooks', { url: receiver.url + '/hooks/rotation', event_types: ['email.*'] })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    const endpointId = created.json.id
    const oldSecret: string = created.json.secret
    const rotated = await api.call('user-rotation', 'POST', `/v1/webhooks/${endpointId}/rotate-secret`, { grace_seconds: 3600 })
    expect(rotated.status, JSON.stringify(rotated.json)).toBe(200)
    const before = receiver.received.length
    const test = await api.call('user-rotation', 'POST', `/v1/webhooks/${endpointId}/test`)
    expect(test.json.ok, JSON.stringify(test.json)).toBe(true)
    const second = (await receiver.waitFor(before + 1))[before]!
    expect(second.headers['webhook-signature']!.split(' ')).toHaveLength(2)
    expect(second.headers['x-qsm-key-id']!.split(',')).toEqual([rotated.json.key_id, rotated.json.previous_key_id])
    for (const s of [oldSecret, rotated.json.secret as string]) {
      for (const r of RECIPES) {
        const res = runRecipe(r.cmd, r.file, { secret: s, headers: second.headers, body: second.body })
        expect(res, `${r.name} with ${s === oldSecret ? 'old' : 'new'} secret: ${JSON.stringify(res)}`).toMatchObject({ code: 0 })
      }
    }
  })

  it('each recipe function accepts the Standard Webhooks published test vector at its own time', () => {
    // secret, id, timestamp, body and signature from the Standard Webhooks library tests. The
    // commands check against the real clock, so call the functions with "now" = the vector's time.
    const v = {
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', ts: '1614265330',
      sig: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', body: '{"test": 2432232314}',
    }
    const env = { ...process.env, V: JSON.stringify(v) }
    const dir = join(ROOT, 'docs/recipes')
    const runs = [
      spawnSync(process.execPath, ['--input-type=module', '-e', `
        import { verifyWebhook } from ${JSON.stringify(join(dir, 'verify.mjs'))}
        const v = JSON.parse(process.env.V)
        verifyWebhook(v.secret, { 'webhook-id': v.id, 'webhook-timestamp': v.ts, 'webhook-signature': v.sig }, v.body, Number(v.ts))
        let refused = false
        try { verifyWebhook(v.secret, { 'webhook-id': v.id, 'webhook-timestamp': v.ts, 'webhook-signature': v.sig }, v.body + ' ', Number(v.ts)) } catch { refused = true }
        console.log(refused ? 'ok' : 'accepted a changed body')`], { env, encoding: 'utf8' }),
      spawnSync('php', ['-r', `
        require ${JSON.stringify(join(dir, 'verify.php'))};
        $v = json_decode(getenv('V'), true);
        $h = ['webhook-id' => $v['id'], 'webhook-timestamp' => $v['ts'], 'webhook-signature' => $v['sig']];
        $good = qsm_verify_webhook($v['secret'], $h, $v['body'], (int) $v['ts']);
        $bad = qsm_verify_webhook($v['secret'], $h, $v['body'] . ' ', (int) $v['ts']);
        echo ($good === null && $bad !== null) ? "ok\n" : "good=$good bad=$bad\n";`], { env, encoding: 'utf8' }),
      spawnSync('python3', ['-c', `
import json, os, sys
sys.path.insert(0, ${JSON.stringify(dir)})
from verify import verify_webhook, InvalidWebhook
v = json.loads(os.environ["V"])
h = {"webhook-id": v["id"], "webhook-timestamp": v["ts"], "webhook-signature": v["sig"]}
verify_webhook(v["secret"], h, v["body"].encode(), now=int(v["ts"]))
try:
    verify_webhook(v["secret"], h, v["body"].encode() + b" ", now=int(v["ts"]))
    print("accepted a changed body")
except InvalidWebhook:
    print("ok")`], { env, encoding: 'utf8' }),
    ]
    for (const r of runs) expect({ out: r.stdout.trim(), err: r.stderr.trim(), code: r.status }).toEqual({ out: 'ok', err: '', code: 0 })
  })
})
