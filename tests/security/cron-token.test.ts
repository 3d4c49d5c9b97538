// /tick runs deliveries and purges; only the cron token may start it. Each way of getting it wrong
// answers 401 and sends nothing (the receiver stays silent, no row changes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { dumpAllRows, exampleEvent, postEvents } from '../reliability/support.js'

const TOKEN = TEST_SECRETS.QSM_CRON_TOKEN

for (const dialect of dialects()) {
  describe(`${dialect}: the cron token on /tick`, () => {
    const t = useTestDb(dialect)
    let receiver: Receiver
    beforeAll(async () => {
      receiver = await startReceiver()
    })
    afterAll(async () => receiver?.close())

    it('refuses every wrong token with 401 and sends nothing; the right one runs the tick', async () => {
      const app = makeTestApp(t.db)
      const created = await app.call('u1', 'POST', '/v1/webhooks', { url: `${receiver.url}/hook`, event_types: ['*'] })
      expect(created.status).toBe(201)
      expect((await postEvents(app.app, exampleEvent('email.failed', 'u1'), app.clock.now())).status).toBe(202)
      const before = await dumpAllRows(t.db)
      const wrong: [string, string, Record<string, string>][] = [
        ['no token', '/tick', {}],
        ['empty query token', '/tick?token=', {}],
        ['one character off', `/tick?token=${TOKEN.slice(0, -1)}${TOKEN.endsWith('x') ? 'y' : 'x'}`, {}],
        ['a prefix', `/tick?token=${TOKEN.slice(0, 10)}`, {}],
        ['with a suffix', `/tick?token=${TOKEN}x`, {}],
        ['upper case', `/tick?token=${TOKEN.toUpperCase()}`, {}],
        ['surrounding spaces', `/tick?token=${encodeURIComponent(' ' + TOKEN + ' ')}`, {}],
        ['the bridge secret', `/tick?token=${encodeURIComponent(TEST_SECRETS.QSM_BRIDGE_SECRET)}`, {}],
        ['the app key', `/tick?token=${encodeURIComponent(TEST_SECRETS.QSM_APP_KEY)}`, {}],
        ['a dashboard token as bearer', '/tick', { authorization: `Bearer ${await app.token('u1')}` }],
        ['wrong bearer', '/tick', { authorization: 'Bearer nope' }],
        ['Basic scheme with the token', '/tick', { authorization: `Basic ${Buffer.from(':' + TOKEN).toString('base64')}` }],
        ['token in a header of another name', '/tick', { 'x-cron-token': TOKEN }],
        ['wrong bearer beats right query', `/tick?token=${TOKEN}`, { authorization: 'Bearer nope' }],
      ]
      for (const method of ['GET', 'POST']) {
        for (const [name, path, headers] of wrong) {
          const res = await app.app.request(path, { method, headers })
          expect(res.status, `${method} ${name}`).toBe(401)
          const text = await res.text()
          expect(JSON.parse(text).error.code).toBe('unauthorized')
          expect(text).not.toContain(TOKEN)
        }
      }
      expect(receiver.received).toHaveLength(0)
      expect(await dumpAllRows(t.db)).toBe(before)

      for (const [how, init] of [
        ['query', { path: `/tick?token=${encodeURIComponent(TOKEN)}`, headers: {} }],
        ['bearer', { path: '/tick', headers: { authorization: `Bearer ${TOKEN}` } }],
      ] as const) {
        const ok = await app.app.request(init.path, { method: 'POST', headers: init.headers })
        expect(ok.status, how).toBe(200)
      }
      expect(receiver.received).toHaveLength(1)
    })
  })
}
