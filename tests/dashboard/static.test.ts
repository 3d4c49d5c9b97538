// Serving the built dashboard at /dashboard/: redirect, content types, caching, a clear 404 when
// it is not built, and no way out of dashboard/dist.
import { beforeAll, describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { dashboardRoutes } from '../../server/dashboard/static.js'
import { buildDashboard, DASHBOARD_DIST } from './helpers.js'

describe('dashboard static files', () => {
  const app = dashboardRoutes(DASHBOARD_DIST)
  beforeAll(() => buildDashboard())

  it('answers /favicon.ico with the dashboard icon instead of a 404, and the page names it', async () => {
    const res = await app.request('/favicon.ico')
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/svg+xml'])
    expect(await res.text()).toMatch(/^<svg /)
    expect(await (await app.request('/dashboard/')).text()).toContain('<link rel="icon"')
  })

  it('redirects /dashboard to /dashboard/ so relative asset paths resolve', async () => {
    const res = await app.request('/dashboard')
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('/dashboard/')
  })

  it('serves index.html with no-cache and the assets with their types', async () => {
    const index = await app.request('/dashboard/')
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(index.headers.get('cache-control')).toBe('no-cache')
    const csp = index.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe')
    const html = await index.text()
    for (const asset of ['./config.js', './app.js', './app.css']) expect(html).toContain(`"${asset}"`)
    expect(html.indexOf('config.js')).toBeLessThan(html.indexOf('app.js'))
    expect((await app.request('/dashboard/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect((await app.request('/dashboard/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8')
    const config = await app.request('/dashboard/config.js')
    expect(await config.text()).toContain("window.QSM_CONFIG = { apiBase: '' }")
  })

  it('answers 304 to a matching ETag', async () => {
    const first = await app.request('/dashboard/app.js')
    const etag = first.headers.get('etag')!
    const again = await app.request('/dashboard/app.js', { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
  })

  it('refuses paths outside dist and unknown files with a 404', async () => {
    for (const path of ['/dashboard/../package.json', '/dashboard/%2e%2e/package.json', '/dashboard/..%2f..%2fpackage.json', '/dashboard/nope.js', '/dashboard/%E0%A4%A']) {
      expect((await app.request(path)).status, path).toBe(404)
    }
  })

  it('says to run npm run build when dashboard/dist is missing', async () => {
    const bare = new Hono().route('/', dashboardRoutes('/nonexistent/dashboard/dist'))
    const res = await bare.request('/dashboard/')
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('npm run build')
  })
})
