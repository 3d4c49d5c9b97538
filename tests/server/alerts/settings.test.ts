// GET/PUT /v1/alert-settings: the address comes from the sign-in token until the user sets one.
import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { TEST_SECRETS } from '../../helpers/config.js'
import { mintToken } from '../../../server/auth/token.js'

for (const dialect of dialects()) {
  describe(`${dialect}: alert settings`, () => {
    const t = useTestDb(dialect)

    const withEmail = async (app: ReturnType<typeof makeTestApp>, email: string, init: RequestInit = {}) => {
      const token = await mintToken(TEST_SECRETS.QSM_BRIDGE_SECRET, 'u1', app.clock.now(), 3600, { email })
      const res = await app.app.request('/v1/alert-settings', { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } })
      return { status: res.status, json: (await res.json()) as any }
    }

    it('takes the address from the sign-in link, and a newer link brings a newer address', async () => {
      const app = makeTestApp(t.db, { env: { QSM_SMTP_URL: 'smtp://localhost:25' } })
      expect((await app.call('u1', 'GET', '/v1/alert-settings')).json).toEqual({ email: null, enabled: true, source: null, smtp_configured: true })
      expect((await withEmail(app, 'owner@example.test')).json).toEqual({ email: 'owner@example.test', enabled: true, source: 'token', smtp_configured: true })
      expect((await withEmail(app, 'new@example.test')).json).toMatchObject({ email: 'new@example.test', source: 'token' })
    })

    it('keeps what the user set over the address in later sign-in links', async () => {
      const app = makeTestApp(t.db)
      await withEmail(app, 'owner@example.test')
      const put = await app.call('u1', 'PUT', '/v1/alert-settings', { email: 'ops@example.test', enabled: true })
      expect(put).toMatchObject({ status: 200, json: { email: 'ops@example.test', enabled: true, source: 'user', smtp_configured: false } })
      expect((await withEmail(app, 'owner@example.test')).json).toMatchObject({ email: 'ops@example.test', source: 'user' })
      const off = await app.call('u1', 'PUT', '/v1/alert-settings', { email: 'ops@example.test', enabled: false })
      expect(off.json).toMatchObject({ enabled: false })
    })

    it('refuses an address that is not one, naming the field', async () => {
      const app = makeTestApp(t.db)
      const bad = await app.call('u1', 'PUT', '/v1/alert-settings', { email: 'not-an-address', enabled: true })
      expect(bad.status).toBe(422)
      expect(bad.json.error.message).toBe('email: must be an e-mail address, e.g. you@example.com')
      const none = await app.call('u1', 'PUT', '/v1/alert-settings', { email: null, enabled: true })
      expect(none.json.error.message).toBe('email: is required while alerts are on (or set enabled to false)')
      expect((await app.call('u1', 'PUT', '/v1/alert-settings', { email: null, enabled: false })).status).toBe(200)
    })

    it('ignores a malformed address in a token instead of refusing the sign-in', async () => {
      const app = makeTestApp(t.db)
      const res = await withEmail(app, 'nonsense')
      expect(res).toMatchObject({ status: 200, json: { email: null, source: null } })
    })
  })
}
