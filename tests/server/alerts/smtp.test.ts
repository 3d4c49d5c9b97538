// A real SMTP conversation: the alert e-mail goes through nodemailer to Debian's exim4 on a loopback
// port, which delivers it to a local mailbox that the test reads. And a mail server that refuses or
// hangs delays no delivery and no /tick answer.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { startExim, type Exim } from '../../helpers/exim.js'
import { TEST_SECRETS } from '../../helpers/config.js'
import { mintToken } from '../../../server/auth/token.js'
import { smtpTransport } from '../../../server/alerts/transport.js'
import { closedPort, harness, type Harness } from '../delivery/helpers.js'

const M = 60_000

/** Quoted-printable soft breaks and escapes undone, so the body reads as written. */
const unQp = (text: string) => text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))

/** An SMTP server that accepts connections and never says a word. */
async function hangingSmtp(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => { sockets.add(s); s.on('error', () => {}) })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()) }),
  }
}

for (const dialect of dialects()) {
  describe(`${dialect}: alert e-mails over SMTP`, () => {
    const t = useTestDb(dialect)
    let broken: Receiver
    let fine: Receiver
    let exim: Exim
    beforeAll(async () => { [broken, fine, exim] = await Promise.all([startReceiver({ status: 500 }), startReceiver(), startExim()]) })
    afterAll(async () => { await Promise.all([broken.close(), fine.close(), exim.close()]) })
    beforeEach(() => { broken.fallback = { status: 500 } })

    /** Three failed attempts at an endpoint whose URL carries a token: the owner's failing alert is queued. */
    async function failingEndpoint(h: Harness) {
      // The sign-in link carries the owner's address, as the bridge's qsm_dashboard_url($userId, $email) makes it.
      const token = await mintToken(TEST_SECRETS.QSM_BRIDGE_SECRET, 'u1', h.clock.now(), 3600, { email: 'owner@example.test' })
      const res = await h.app.request('/v1/webhooks', {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${broken.url}/orders?key=url-token-not-for-mail`, description: 'Order system', event_types: ['*'] }),
      })
      const created = (await res.json()) as { id: string; secret: string }
      await h.queue('u1', created.id)
      for (let i = 0; i < 3; i++) {
        if (i > 0) h.clock.advance(M)
        await h.run()
      }
      return created
    }

    it('delivers the failing alert to the owner with the endpoint link and the last error, and no secret', async () => {
      const h = harness(t.db, { QSM_SMTP_URL: `smtp://127.0.0.1:${exim.port}`, QSM_ALERT_FROM: 'QSM Webhooks <alerts@example.test>', QSM_RETRY_SCHEDULE: '1m', QSM_MAX_ATTEMPTS: '10', QSM_DASHBOARD_URL: 'https://hooks.example.test/dashboard/' })
      const before = (exim.mailbox().match(/^From /gm) ?? []).length
      const endpoint = await failingEndpoint(h)
      expect(await h.deps.alerts.drainNow()).toEqual({ sent: 1, failed: 0 })
      const mbox = await exim.waitForMessages(before + 1)
      const message = mbox.split(/^From /m).at(-1)!
      expect(message).toMatch(/^Envelope-to: owner@example\.test$/m)
      expect(message).toMatch(/^To: owner@example\.test$/m)
      expect(message).toMatch(/^From: QSM Webhooks <alerts@example\.test>$/m)
      expect(message).toMatch(/^Subject: Webhook endpoint failing: Order system$/m)
      const body = unQp(message)
      expect(body).toContain(`Open it in the dashboard: https://hooks.example.test/dashboard/#/endpoints/${endpoint.id}`)
      expect(body).toContain('Last error: HTTP 500')
      expect(body).toContain('3 deliveries in a row have failed')
      for (const secret of [endpoint.secret, 'url-token-not-for-mail', TEST_SECRETS.QSM_APP_KEY, TEST_SECRETS.QSM_BRIDGE_SECRET, 'whsec_']) {
        expect(body).not.toContain(secret)
      }
      const [row] = await t.db.db.selectFrom('alert_outbox').selectAll().execute()
      expect(row).toMatchObject({ status: 'sent', to_address: 'owner@example.test' })
      // Drained once, sent once: a second pass finds nothing.
      expect(await h.deps.alerts.drainNow()).toEqual({ sent: 0, failed: 0 })
    })

    it('keeps delivering while the mail server hangs, and retries the e-mail later', async () => {
      const smtp = await hangingSmtp()
      try {
        // Transport timeouts shortened from 10 s so the test is quick; the behaviour is the same.
        const h = harness(t.db, { QSM_SMTP_URL: smtp.url, QSM_RETRY_SCHEDULE: '1m', QSM_MAX_ATTEMPTS: '10' }, { mailTransport: smtpTransport(smtp.url, 1_500) })
        await failingEndpoint(h)
        let drained = false
        const draining = h.deps.alerts.drainNow().finally(() => { drained = true })
        // Meanwhile: a delivery to a healthy endpoint and a /tick, both at full speed.
        const ok = await h.endpoint('u1', `${fine.url}/ok`)
        await h.queue('u1', ok.id)
        const t0 = Date.now()
        expect((await h.run()).succeeded).toBeGreaterThanOrEqual(1)
        const tick = await h.app.request(`/tick?token=${TEST_SECRETS.QSM_CRON_TOKEN}`)
        expect(tick.status).toBe(200)
        expect(Date.now() - t0).toBeLessThan(1_000)
        expect(drained).toBe(false)
        expect(await draining).toEqual({ sent: 0, failed: 1 })
        const [row] = await t.db.db.selectFrom('alert_outbox').selectAll().execute()
        expect(row).toMatchObject({ status: 'pending', attempts: 1 })
        expect(Number(row!.next_attempt_at)).toBe(h.clock.now() + M)
        expect(row!.last_error).toMatch(/greeting|timeout/i)
      } finally {
        await smtp.close()
      }
    }, 20_000)

    it('keeps delivering when the mail server refuses the connection', async () => {
      const url = `smtp://127.0.0.1:${await closedPort()}`
      const h = harness(t.db, { QSM_SMTP_URL: url, QSM_RETRY_SCHEDULE: '1m', QSM_MAX_ATTEMPTS: '10' })
      await failingEndpoint(h)
      const ok = await h.endpoint('u1', `${fine.url}/ok`)
      await h.queue('u1', ok.id)
      const [summary, run] = await Promise.all([h.deps.alerts.drainNow(), h.run()])
      expect(summary).toEqual({ sent: 0, failed: 1 })
      expect(run.succeeded).toBeGreaterThanOrEqual(1)
      const [row] = await t.db.db.selectFrom('alert_outbox').selectAll().execute()
      expect(row).toMatchObject({ status: 'pending', attempts: 1 })
      expect(row!.last_error).toMatch(/ECONNREFUSED/)
    })
  })
}
