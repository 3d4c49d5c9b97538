// Serves the built dashboard (dashboard/dist) at /dashboard/ for same-origin use. The files are
// small and few, so they are read per request (an upload of a new build shows at once); an ETag
// lets browsers revalidate cheaply. /dashboard redirects to /dashboard/ so relative asset paths work.
import { readFile, stat } from 'node:fs/promises'
import { dirname, extname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../http/context.js'

// server/dashboard/static.ts (tsx) and dist/server/main.mjs (bundle) both sit two folders below
// the project root.
const DEFAULT_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

// The dashboard is a module script, a stylesheet and fetch() calls to its own origin; nothing
// inline, no eval. Anything else (an injected script or style, a foreign fetch, framing) is refused.
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Dashboard not built</title>
<h1>The dashboard has not been built yet</h1>
<p>QSM Webhooks serves the dashboard from <code>dashboard/dist/</code>, and that folder is missing.</p>
<p>Run <code>npm run build</code> in the QSM Webhooks folder, then reload this page.</p>
`

/** The dashboard's icon (a webhook hook on the brand blue), also answered at /favicon.ico so browsers stop logging a 404. */
export const ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d4ed8"/>' +
  '<path d="M11 21a5 5 0 1 1 4-8l3 5m3 3a5 5 0 1 1-4 8" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>'

export function dashboardRoutes(distDir: string = DEFAULT_DIST) {
  const app = new Hono<AppEnv>()
  const root = resolve(distDir)

  app.get('/favicon.ico', (c) => c.body(ICON_SVG, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' }))

  app.get('/dashboard', (c) => {
    const query = new URL(c.req.url).search
    return c.redirect(`/dashboard/${query}`, 301)
  })

  app.get('/dashboard/*', async (c) => {
    let rest: string
    try {
      rest = decodeURIComponent(c.req.path.slice('/dashboard/'.length)) || 'index.html'
    } catch {
      return notFound(c)
    }
    const file = resolve(root, rest)
    // No way out of dist/ (../, encoded or not), no dot files.
    if (!file.startsWith(root + sep) || rest.split('/').some((part) => part.startsWith('.'))) return notFound(c)
    const info = await stat(root).catch(() => null)
    if (!info?.isDirectory()) return c.html(NOT_BUILT, 404, { 'Cache-Control': 'no-store' })
    const fileInfo = await stat(file).catch(() => null)
    if (!fileInfo?.isFile()) return notFound(c)

    const etag = `W/"${fileInfo.size.toString(16)}-${Math.floor(fileInfo.mtimeMs).toString(16)}"`
    // Asset names carry no hash, so every file is revalidated; index.html and config.js must
    // never be taken from a cache without asking (config.js is edited after upload).
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': DASHBOARD_CSP,
      ETag: etag,
    }
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers)
    const body = await readFile(file)
    return c.body(body, 200, headers)
  })
  return app
}

function notFound(c: Context<AppEnv>) {
  return c.text('Not found in the dashboard. Open /dashboard/ for the dashboard itself.', 404, { 'Cache-Control': 'no-store' })
}
