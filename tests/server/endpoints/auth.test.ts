import { describe, expect, it } from 'vitest'
import { createHmac } from 'node:crypto'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { dashboardTokenKey } from '../../../server/auth/token.js'

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT built by hand, so each way of getting it wrong is explicit. */
function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | null): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`
  const signature = key === null ? '' : createHmac('sha256', key).update(unsigned).digest('base64url')
  return `${unsigned}.${signature}`
}

const ROUTES: [string, string][] = [
  ['GET', '/v1/webhooks'],
  ['POST', '/v1/webhooks'],
  ['GET', '/v1/webhooks/wh_x'],
  ['PATCH', '/v1/webhooks/wh_x'],
  ['DELETE', '/v1/webhooks/wh_x'],
  ['GET', '/v1/webhooks/wh_x/secret'],
  ['POST', '/v1/webhooks/wh_x/rotate-secret'],
]

for (const dialect of dialects()) {
  describe(`${dialect}: webhook routes need a valid dashboard token`, () => {
    const t = useTestDb(dialect)

    async function send(token: string | null, method = 'GET', path = '/v1/webhooks') {
      const { app, deps } = makeTestApp(t.db)
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (token !== null) headers.authorization = token
      const res = await app.request(path, { method, headers, body: method === 'GET' || method === 'DELETE' ? undefined : '{}' })
      return { status: res.status, json: (await res.json()) as { error: { code: string; message: string } }, deps }
    }

    const tokenFor = async (build: (key: string, now: number) => string) => {
      const { deps } = makeTestApp(t.db)
      return 'Bearer ' + build(dashboardTokenKey(deps.config.bridgeSecret), Math.floor(deps.clock.now() / 1000))
    }

    it.each(ROUTES)('refuses %s %s without a token', async (method, path) => {
      const res = await send(null, method, path)
      expect(res.status).toBe(401)
      expect(res.json.error).toEqual({ code: 'unauthorized', message: 'Sign in first: send Authorization: Bearer <token>' })
    })

    it('accepts a hand-built token signed with the dashboard key (the control case)', async () => {
      const token = await tokenFor((key, now) => jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now, exp: now + 600 }, key))
      expect((await send(token)).status).toBe(200)
    })

    it('refuses an expired token', async () => {
      const token = await tokenFor((key, now) => jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now - 7200, exp: now - 3600 }, key))
      const res = await send(token)
      expect(res.status).toBe(401)
      expect(res.json.error.message).toBe('Not signed in: the token has expired; open the dashboard again from QSM')
    })

    it('refuses a token whose nbf is in the future, and accepts one whose nbf has passed', async () => {
      const early = await tokenFor((key, now) => jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now, nbf: now + 600, exp: now + 1200 }, key))
      const res = await send(early)
      expect(res.status).toBe(401)
      expect(res.json.error.message).toContain('the token is not valid yet')
      const started = await tokenFor((key, now) => jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now, nbf: now - 5, exp: now + 600 }, key))
      expect((await send(started)).status).toBe(200)
      const odd = await tokenFor((key, now) => jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now, nbf: 'soon', exp: now + 600 }, key))
      expect((await send(odd)).status).toBe(401)
    })

    it('refuses a forged token whose user id was changed after signing', async () => {
      const token = await tokenFor((key, now) => {
        const real = jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now, exp: now + 600 }, key)
        const [header, , signature] = real.split('.')
        return `${header}.${b64url({ sub: 'admin', iat: now, exp: now + 600 })}.${signature}`
      })
      const res = await send(token)
      expect(res.status).toBe(401)
      expect(res.json.error.message).toBe('Not signed in: the token signature is not valid')
    })

    it('refuses an unsigned token with alg none', async () => {
      const token = await tokenFor((_key, now) => jwt({ alg: 'none', typ: 'JWT' }, { sub: 'u1', iat: now, exp: now + 600 }, null))
      const res = await send(token)
      expect(res.status).toBe(401)
      expect(res.json.error.message).toBe('Not signed in: tokens signed with "none" are not accepted')
    })

    it('refuses a token signed with the wrong key', async () => {
      const token = await tokenFor((_key, now) => jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now, exp: now + 600 }, dashboardTokenKey('some-other-bridge-secret-0123456789')))
      const res = await send(token)
      expect(res.status).toBe(401)
      expect(res.json.error.message).toBe('Not signed in: the token signature is not valid')
    })

    it('refuses a token signed with the bridge secret itself instead of the derived key', async () => {
      const token = await tokenFor((_key, now) => {
        const { deps } = makeTestApp(t.db)
        return jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', iat: now, exp: now + 600 }, deps.config.bridgeSecret)
      })
      expect((await send(token)).status).toBe(401)
    })

    it('refuses a malformed token and a non-Bearer scheme', async () => {
      expect((await send('Bearer not.a.jwt')).status).toBe(401)
      expect((await send('Bearer abc')).json.error.message).toBe('Not signed in: the token is malformed')
      expect((await send('Basic dTE6cGFzcw==')).status).toBe(401)
    })
  })
}
