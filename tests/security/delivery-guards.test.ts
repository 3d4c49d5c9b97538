// The sender's own guards, tested at the wire: redirects are never followed (a public endpoint
// cannot bounce a signed delivery to a private one), and the address policy runs again at connect
// time, so an endpoint row that points at a private address (saved before a policy change, or
// written by hand) is refused without a single byte reaching it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { seedEndpoint } from '../helpers/seed.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { createUndiciSender } from '../../server/delivery/sender.js'
import { newOwnerId, runDue } from '../../server/delivery/runner.js'
import { encryptSecret, generateSecret } from '../../server/crypto/secrets.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { exampleEvent, postEvents } from '../reliability/support.js'

describe('redirects are never followed', () => {
  let target: Receiver
  let bouncer: Receiver
  beforeAll(async () => {
    target = await startReceiver({ status: 200, body: 'private service reached' })
    bouncer = await startReceiver()
  })
  afterAll(async () => {
    await target?.close()
    await bouncer?.close()
  })

  it.each([301, 302, 303, 307, 308])('a %i to a private address is a failed attempt and the second host gets nothing', async (status) => {
    target.received.length = 0
    bouncer.received.length = 0
    bouncer.queue({ status, headers: { location: `${target.url}/admin?from=redirect` } })
    // Private targets allowed for the first hop (it is on loopback), so only "no redirects" stops the second.
    const sender = createUndiciSender({ allowPrivateTargets: true, concurrency: 2 })
    const res = await sender.send({ url: `${bouncer.url}/hook`, headers: { 'content-type': 'application/json' }, body: '{"id":"evt_x"}', timeoutMs: 2_000 })
    await sender.close()
    expect(res.ok).toBe(false)
    expect(res.statusCode).toBe(status)
    expect(res.error).toMatch(/redirects are not followed/)
    expect(bouncer.received).toHaveLength(1)
    // send() resolved with the 3xx itself and the sender is closed: a followed redirect would have
    // completed inside send(), so the target's count is final now.
    expect(target.received).toHaveLength(0)
  })
})

describe('the address policy runs again at connect time', () => {
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await startReceiver()
  })
  afterAll(async () => receiver?.close())

  it.each(['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]', '0x7f000001'])('the sender refuses http://%s:PORT with private targets off, before connecting', async (host) => {
    receiver.received.length = 0
    const sender = createUndiciSender({ allowPrivateTargets: false, concurrency: 2 })
    const url = `http://${host}:${receiver.port}/hook`
    const res = await sender.send({ url, headers: {}, body: '{}', timeoutMs: 2_000 })
    await sender.close()
    expect(res.ok).toBe(false)
    expect(res.errorClass).toBe('blocked')
    expect(receiver.received).toHaveLength(0)
  })

  for (const dialect of dialects()) {
    describe(dialect, () => {
      const t = useTestDb(dialect)
      it('an endpoint row aimed at loopback (written when private targets were on) gets no request once they are off', async () => {
        receiver.received.length = 0
        const app = makeTestApp(t.db, { env: { QSM_ALLOW_PRIVATE_TARGETS: 'false' } })
        const endpointId = await seedEndpoint(t.db, {
          userId: 'u1', url: `http://127.0.0.1:${receiver.port}/hook`, eventTypes: ['*'], secretEnc: encryptSecret(generateSecret(), TEST_SECRETS.QSM_APP_KEY),
        })
        expect((await postEvents(app.app, exampleEvent('email.failed', 'u1'), app.clock.now())).status).toBe(202)
        const summary = await runDue(app.deps, { owner: newOwnerId(), budgetMs: 5_000, stopWhenEmpty: true })
        expect(summary.claimed).toBe(1)
        const attempts = await t.db.db.selectFrom('delivery_attempts').selectAll().execute()
        expect(attempts).toHaveLength(1)
        expect(attempts[0]!.error_class).toBe('blocked')
        const delivery = await t.db.db.selectFrom('deliveries').selectAll().where('endpoint_id', '=', endpointId).executeTakeFirstOrThrow()
        expect(delivery.last_error).toMatch(/public addresses/)
        expect(receiver.received).toHaveLength(0)
      })
    })
  }
})
