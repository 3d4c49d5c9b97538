import { describe, expect, it } from 'vitest'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'

describe('HTTP hardening', () => {
  const t = useTestDb('sqlite')

  it('sends security headers on API answers, errors included', async () => {
    const { app } = makeTestApp(t.db)
    for (const path of ['/healthz', '/v1/deliveries']) {
      const res = await app.request(path)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/)
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    }
  })

  it('allows the configured dashboard origin and no other', async () => {
    const { app } = makeTestApp(t.db, { env: { QSM_DASHBOARD_ORIGIN: 'https://mail.example.com' } })
    const preflight = (origin: string) =>
      app.request('/v1/deliveries', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } })
    expect((await preflight('https://mail.example.com')).headers.get('access-control-allow-origin')).toBe('https://mail.example.com')
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
  })

  it('says Vary: Origin once on API answers, with an Origin and without (the bridge sends none), errors and ingest included', async () => {
    const { app, call } = makeTestApp(t.db, { env: { QSM_DASHBOARD_ORIGIN: 'https://mail.example.com' } })
    const allowed = await app.request('/v1/deliveries', { headers: { origin: 'https://mail.example.com' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://mail.example.com')
    expect(allowed.headers.get('vary')).toBe('Origin')
    const plain = await call('u1', 'GET', '/v1/deliveries')
    expect(plain.status).toBe(200)
    expect(plain.headers.get('vary')).toBe('Origin')
    expect(plain.headers.get('access-control-allow-origin')).toBeNull()
    const refused = await app.request('/v1/deliveries')
    expect(refused.status).toBe(401)
    expect(refused.headers.get('vary')).toBe('Origin')
    const ingest = await app.request('/v1/events', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(ingest.status).toBe(401)
    expect(ingest.headers.get('vary')).toBe('Origin')
  })

  it('allows no cross-origin browser calls when no dashboard origin is set', async () => {
    const { app } = makeTestApp(t.db)
    const res = await app.request('/v1/deliveries', { headers: { origin: 'https://mail.example.com' } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('answers 429 with Retry-After once a user passes the per-minute limit, and resets next minute', async () => {
    const { call, clock } = makeTestApp(t.db, { env: { QSM_RATE_LIMIT_PER_USER: '3' } })
    clock.set(Date.UTC(2026, 10, 28, 12, 0, 10))
    for (let i = 0; i < 3; i++) expect((await call('busy', 'GET', '/v1/deliveries')).status).toBe(200)
    const limited = await call('busy', 'GET', '/v1/deliveries')
    expect(limited.status).toBe(429)
    expect(limited.json.error.code).toBe('rate_limited')
    expect(limited.headers.get('retry-after')).toBe('50')
    expect((await call('someone-else', 'GET', '/v1/deliveries')).status).toBe(200)
    clock.advance(50_000)
    expect((await call('busy', 'GET', '/v1/deliveries')).status).toBe(200)
  })

  it('limits unauthenticated calls per address, but never the signed bridge ingest', async () => {
    const { app, clock } = makeTestApp(t.db, { env: { QSM_RATE_LIMIT_PER_IP: '2' } })
    clock.set(Date.UTC(2026, 10, 28, 12, 0, 0))
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await app.request('/v1/deliveries')).status)
    expect(statuses).toEqual([401, 401, 429])
    const ingest = await app.request('/v1/events', { method: 'POST', body: '{}' })
    expect(ingest.status).not.toBe(429)
  })
})

describe('request size', () => {
  const t = useTestDb('sqlite')

  it('refuses a dashboard request body over 64 KB with 413 and stores nothing', async () => {
    const { call } = makeTestApp(t.db)
    const res = await call('u1', 'POST', '/v1/webhooks', { url: 'https://example.com/hook', event_types: ['*'], description: 'x'.repeat(70_000) })
    expect(res.status).toBe(413)
    expect(res.json.error.code).toBe('payload_too_large')
    expect(await t.db.db.selectFrom('endpoints').selectAll().execute()).toEqual([])
  })
})
