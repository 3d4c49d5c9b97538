import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'

const HOOK = { url: 'https://example.com/hooks/qsm', event_types: ['email.*'] }
const STRICT = { env: { QSM_ALLOW_PRIVATE_TARGETS: 'false' } }

/** The exact 422 for one failing field. */
const invalid = (path: string, message: string) => ({ error: { code: 'validation_failed', message: `${path}: ${message}`, details: [{ path, message }] } })

const HTTPS_ONLY = 'must use https (http is allowed only when QSM_ALLOW_PRIVATE_TARGETS=true)'
const PUBLIC_ONLY = 'webhooks can only go to public addresses'

for (const dialect of dialects()) {
  describe(`${dialect}: webhook endpoint validation`, () => {
    const t = useTestDb(dialect)

    const expectRefused = async (body: unknown, path: string, message: string, env = STRICT) => {
      const { call } = makeTestApp(t.db, env)
      const res = await call('u1', 'POST', '/v1/webhooks', body)
      expect(res.status).toBe(422)
      expect(res.json).toEqual(invalid(path, message))
      expect(await t.db.db.selectFrom('endpoints').selectAll().execute()).toEqual([])
    }

    it('refuses an http URL when private targets are not allowed', async () => {
      await expectRefused({ ...HOOK, url: 'http://example.com/hook' }, 'url', HTTPS_ONLY)
    })

    it('accepts an http URL when private targets are allowed', async () => {
      const { call } = makeTestApp(t.db)
      const res = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url: 'http://127.0.0.1:8080/hook' })
      expect(res.status).toBe(201)
      expect(res.json.url).toBe('http://127.0.0.1:8080/hook')
    })

    it('refuses a URL with another scheme', async () => {
      await expectRefused({ ...HOOK, url: 'ftp://example.com/hook' }, 'url', HTTPS_ONLY)
      await expectRefused({ ...HOOK, url: 'javascript:alert(1)' }, 'url', 'must use https or http', {} as typeof STRICT)
    })

    it('refuses a URL that is not absolute', async () => {
      await expectRefused({ ...HOOK, url: '/hooks/qsm' }, 'url', 'must be an absolute URL such as https://example.com/webhooks/qsm')
      await expectRefused({ ...HOOK, url: 'https://' }, 'url', 'must be an absolute URL such as https://example.com/webhooks/qsm')
    })

    it('refuses a URL with spaces or control characters', async () => {
      await expectRefused({ ...HOOK, url: ' https://example.com/hook' }, 'url', 'must not contain spaces or control characters')
      await expectRefused({ ...HOOK, url: 'https://exam\tple.com/hook' }, 'url', 'must not contain spaces or control characters')
    })

    it('refuses a URL with a user name or password in it', async () => {
      const message = 'must not contain a user name or password; have your receiver check the X-QSM-Signature header instead'
      await expectRefused({ ...HOOK, url: 'https://user:pass@example.com/hook' }, 'url', message)
      await expectRefused({ ...HOOK, url: 'https://user@example.com/hook' }, 'url', message)
      await expectRefused({ ...HOOK, url: 'https://@example.com/hook' }, 'url', message)
    })

    it('refuses a URL with a fragment', async () => {
      await expectRefused({ ...HOOK, url: 'https://example.com/hook#part' }, 'url', 'must not contain a #fragment (fragments are never sent to the server)')
    })

    it('refuses a URL longer than 2048 characters', async () => {
      await expectRefused({ ...HOOK, url: 'https://example.com/' + 'a'.repeat(2029) }, 'url', 'must be at most 2048 characters')
    })

    it('refuses a missing or non-string URL', async () => {
      await expectRefused({ event_types: ['*'] }, 'url', 'is required')
      await expectRefused({ ...HOOK, url: 42 }, 'url', 'must be a string')
    })

    it.each([
      ['https://localhost/hook', /^localhost resolves to (127\.0\.0\.1|::1), a loopback address; /],
      ['https://127.1/hook', /^127\.0\.0\.1 is a loopback address; /],
      ['https://0x7f000001/hook', /^127\.0\.0\.1 is a loopback address; /],
      ['https://2130706433/hook', /^127\.0\.0\.1 is a loopback address; /],
      ['https://10.1.2.3/hook', /^10\.1\.2\.3 is a private network \(10\.0\.0\.0\/8\) address; /],
      ['https://169.254.169.254/latest/meta-data', /^169\.254\.169\.254 is a cloud metadata address; /],
      ['https://[::1]/hook', /^::1 is a loopback address; /],
      ['https://[::ffff:127.0.0.1]/hook', /^::ffff:7f00:1 is a loopback address; /],
      ['https://[fc00::1]/hook', /^fc00::1 is a unique local \(fc00::\/7\) address; /],
    ])('refuses %s, a non-public target, when private targets are not allowed', async (url, start) => {
      const { call } = makeTestApp(t.db, STRICT)
      const res = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url })
      expect(res.status).toBe(422)
      expect(res.json.error.code).toBe('validation_failed')
      expect(res.json.error.details).toEqual([{ path: 'url', message: expect.stringMatching(start) }])
      expect(res.json.error.details[0].message).toMatch(new RegExp(`${PUBLIC_ONLY}$`))
      expect(res.json.error.message).toBe(`url: ${res.json.error.details[0].message}`)
    })

    it('accepts a public IP literal when private targets are not allowed', async () => {
      const { call } = makeTestApp(t.db, STRICT)
      const res = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url: 'https://8.8.8.8/hook' })
      expect(res.status).toBe(201)
    })

    it('refuses a host that cannot be resolved', async () => {
      const { call } = makeTestApp(t.db, STRICT)
      const res = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url: 'https://nothing-here.invalid/hook' })
      expect(res.status).toBe(422)
      expect(res.json.error.message).toMatch(/^url: host "nothing-here\.invalid" could not be resolved \(/)
      expect(res.json.error.details[0].path).toBe('url')
    })

    it('applies the URL rules to PATCH too and leaves the endpoint unchanged', async () => {
      const { call } = makeTestApp(t.db, STRICT)
      const created = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, url: 'https://8.8.8.8/hook' })
      const res = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { url: 'http://8.8.8.8/hook', description: 'changed' })
      expect(res.json).toEqual(invalid('url', HTTPS_ONLY))
      const row = await t.db.db.selectFrom('endpoints').selectAll().where('id', '=', created.json.id).executeTakeFirstOrThrow()
      expect(row).toMatchObject({ url: 'https://8.8.8.8/hook', description: '' })
    })

    it('refuses missing, empty or oversized event type lists', async () => {
      await expectRefused({ url: HOOK.url }, 'event_types', 'is required')
      await expectRefused({ ...HOOK, event_types: 'email.*' }, 'event_types', 'must be a list of event types, e.g. ["email.*"]')
      await expectRefused({ ...HOOK, event_types: [] }, 'event_types', 'must list at least one event type (use "*" for all of them)')
      await expectRefused({ ...HOOK, event_types: Array(51).fill('*') }, 'event_types', 'must list at most 50 patterns')
    })

    it('refuses an unknown event type or group, naming its position', async () => {
      await expectRefused({ ...HOOK, event_types: ['email.received', 'email.bounced'] }, 'event_types.1', '"email.bounced" is not an event type (see GET /v1/event-types)')
      await expectRefused({ ...HOOK, event_types: ['mail.*'] }, 'event_types.0', '"mail.*" matches no event types (known groups: email.*, usage.*, overflow.*, webhook.*, endpoint.*)')
      await expectRefused({ ...HOOK, event_types: [7] }, 'event_types.0', 'must be a string')
    })

    it('refuses a description over 500 characters or of the wrong type', async () => {
      await expectRefused({ ...HOOK, description: 'x'.repeat(501) }, 'description', 'must be at most 500 characters')
      await expectRefused({ ...HOOK, description: null }, 'description', 'must be a string')
    })

    it('refuses an is_active that is not a boolean', async () => {
      await expectRefused({ ...HOOK, is_active: 'yes' }, 'is_active', 'must be true or false')
    })

    it('refuses a supplied secret that is not whsec_ base64 of at least 32 bytes', async () => {
      await expectRefused({ ...HOOK, secret: 'hunter2' }, 'secret', 'must start with "whsec_" followed by base64 of at least 32 random bytes (leave it out and we generate one)')
      await expectRefused({ ...HOOK, secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64') }, 'secret', 'is too weak: it decodes to 24 bytes; use at least 32 random bytes')
      await expectRefused({ ...HOOK, secret: 'whsec_@@@@' }, 'secret', 'the part after "whsec_" must be standard base64 (A–Z, a–z, 0–9, +, /, = padding)')
    })

    it('names an unknown field instead of ignoring it', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const res = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { is_activ: false })
      expect(res.json).toEqual(invalid('is_activ', 'is not a field of this request (known fields: url, description, event_types, is_active, secret, rate_limit, headers)'))
    })

    it('reports every failing field, the first one in the message', async () => {
      const { call } = makeTestApp(t.db)
      const res = await call('u1', 'POST', '/v1/webhooks', { url: 5, event_types: [], description: 'x'.repeat(501) })
      expect(res.status).toBe(422)
      expect(res.json.error.message).toBe('url: must be a string (and 2 more)')
      expect(res.json.error.details.map((d: { path: string }) => d.path)).toEqual(['url', 'description', 'event_types'])
    })

    it('refuses a body that is not JSON', async () => {
      const { app, token } = makeTestApp(t.db)
      const res = await app.request('/v1/webhooks', { method: 'POST', headers: { authorization: `Bearer ${await token('u1')}`, 'content-type': 'application/json' }, body: '{nope' })
      expect(res.status).toBe(422)
      expect((await res.json()).error.code).toBe('invalid_json')
    })

    it('refuses a grace period over 7 days or below zero on rotation', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const path = `/v1/webhooks/${created.json.id}/rotate-secret`
      expect((await call('u1', 'POST', path, { grace_seconds: 604_801 })).json).toEqual(invalid('grace_seconds', 'must be at most 604800 (7 days)'))
      expect((await call('u1', 'POST', path, { grace_seconds: -1 })).json).toEqual(invalid('grace_seconds', 'must be 0 or more'))
      expect((await call('u1', 'POST', path, { grace_seconds: 1.5 })).json).toEqual(invalid('grace_seconds', 'must be a whole number of seconds'))
      const row = await t.db.db.selectFrom('endpoints').select('secret_key_id').executeTakeFirstOrThrow()
      expect(row.secret_key_id).toBe(created.json.secret_key_id)
    })

    it('refuses a new endpoint beyond the per-user cap with limit_reached', async () => {
      const { call } = makeTestApp(t.db, { env: { QSM_MAX_ENDPOINTS_PER_USER: '3' } })
      for (let i = 0; i < 3; i++) expect((await call('u1', 'POST', '/v1/webhooks', HOOK)).status).toBe(201)
      const res = await call('u1', 'POST', '/v1/webhooks', HOOK)
      expect(res.status).toBe(422)
      expect(res.json).toEqual({
        error: { code: 'limit_reached', message: 'You already have 3 webhook endpoints, the most allowed per account (3); delete one before adding another', details: { limit: 3 } },
      })
      // Another user has their own allowance, and deleting one frees a place.
      expect((await call('u2', 'POST', '/v1/webhooks', HOOK)).status).toBe(201)
      const first = (await call('u1', 'GET', '/v1/webhooks')).json.data[0].id
      await call('u1', 'DELETE', `/v1/webhooks/${first}`)
      expect((await call('u1', 'POST', '/v1/webhooks', HOOK)).status).toBe(201)
    })

    it('applies the default cap of 20 endpoints per user', async () => {
      const { call, deps } = makeTestApp(t.db)
      expect(deps.config.maxEndpointsPerUser).toBe(20)
      for (let i = 0; i < 20; i++) expect((await call('u1', 'POST', '/v1/webhooks', HOOK)).status).toBe(201)
      expect((await call('u1', 'POST', '/v1/webhooks', HOOK)).json.error.code).toBe('limit_reached')
    })
  })
}
