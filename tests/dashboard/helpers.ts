// The dashboard's browser tests run against the real thing: the built dashboard, the real app on a
// real port over a SQLite file, a loopback receiver, and the system Chromium through playwright-core.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createApp } from '../../server/app.js'
import { dashboardRoutes } from '../../server/dashboard/static.js'
import { mintToken } from '../../server/auth/token.js'
import { createLogger } from '../../server/log.js'
import { newId } from '../../server/db/ids.js'
import { connect, type Db } from '../../server/db/connect.js'
import { migrateToLatest } from '../../server/db/migrate.js'
import { sign } from '../../server/signing/sign.js'
import { EXAMPLES } from '../../server/events/examples.js'
import { buildDeps, type Deps } from '../../server/deps.js'
import { testConfig, TEST_SECRETS } from '../helpers/config.js'
import { createTestDatabase } from '../helpers/db.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'

/**
 * Screenshots land in an ignored folder, so a test run never changes tracked files;
 * `npm run screenshots` runs these tests and copies them to docs/images/.
 */
export const IMAGES = 'test-results/screenshots'
export const DESKTOP = { width: 1280, height: 800 }
export const MOBILE = { width: 360, height: 740 }

// The tests' own build of the dashboard: a temp folder, not dashboard/dist/ (which `npm run build`
// owns). One folder per checkout, so two worktrees on one machine never build into each other.
const checkout = createHash('sha256').update(resolve('.')).digest('hex').slice(0, 12)
export const DASHBOARD_DIST = join(tmpdir(), `qsm-dashboard-dist-${checkout}`)
const LOCK = `${DASHBOARD_DIST}.lock`

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Runs `node dashboard/build.mjs --out DASHBOARD_DIST` unless that build is newer than every source.
 * Test files run in parallel and the build empties its folder first, so a lock makes one build at a
 * time and the files after the first find it fresh instead of deleting it under a running browser.
 */
export function buildDashboard(): void {
  const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      if (waited > 60_000) rmSync(LOCK, { recursive: true, force: true })
      sleep(100)
    }
  }
  try {
    const sources = Math.max(newestSource('dashboard/src'), ...['index.html', 'config.js', 'build.mjs'].map((f) => statSync(`dashboard/${f}`).mtimeMs))
    const app = join(DASHBOARD_DIST, 'app.js')
    const built = existsSync(app) ? statSync(app).mtimeMs : 0
    if (built > sources) return
    const r = spawnSync(process.execPath, ['dashboard/build.mjs', '--out', DASHBOARD_DIST], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`dashboard build failed:\n${r.stdout}\n${r.stderr}`)
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

export interface Stack {
  base: string
  db: Db
  deps: Deps
  receiver: Receiver
  browser: Browser
  /** A sign-in link for the user, like the one the mail app makes. */
  link(userId: string): Promise<string>
  /** POSTs a signed event (an example of the type) to /v1/events, as the bridge does. */
  emit(userId: string, type?: keyof typeof EXAMPLES): Promise<{ status: number; json: any }>
  close(): Promise<void>
}

export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  buildDashboard()
  mkdirSync(IMAGES, { recursive: true })
  const created = await createTestDatabase('sqlite')
  const db = await connect(created.url)
  await migrateToLatest(db)
  const config = testConfig({ QSM_ALLOW_PRIVATE_TARGETS: 'true', ...env }, created.url)
  // The in-process delivery loop sends first attempts right after ingest, as in the real service.
  const deps = buildDeps({ db, config, log: createLogger({ level: 'silent' }), inProcessLoop: {} })
  const app = createApp(deps)
  // /dashboard/ is served from the tests' build (static.ts's distDir), everything else by the app.
  const dashboard = dashboardRoutes(DASHBOARD_DIST)
  const serveRequest = (req: Request) => (new URL(req.url).pathname.startsWith('/dashboard') ? dashboard.fetch(req) : app.fetch(req))
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: serveRequest, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const receiver = await startReceiver()
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })

  const emit: Stack['emit'] = async (userId, type = 'email.failed') => {
    const id = newId('evt', Date.now())
    const body = JSON.stringify({ ...EXAMPLES[type], id, user_id: userId, occurred_at: new Date().toISOString() })
    const ts = Math.floor(Date.now() / 1000)
    const signature = sign(Buffer.from(TEST_SECRETS.QSM_BRIDGE_SECRET, 'utf8'), id, ts, body)
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature },
      body,
    })
    return { status: res.status, json: await res.json() }
  }

  return {
    base, db, deps, receiver, browser, emit,
    link: async (userId) => `${base}/dashboard/#token=${await mintToken(config.bridgeSecret, userId, Date.now())}`,
    async close() {
      await browser.close()
      await deps.dispatcher.stop()
      server.close()
      await receiver.close()
      await deps.sender.close()
      await db.close()
      await created.drop()
    },
  }
}

/** Uncaught errors from every page; tests check it stays empty. */
export const pageErrors: string[] = []

/** A fresh browser context (its own sessionStorage) at a viewport size. */
export async function openPage(stack: Stack, viewport = DESKTOP): Promise<Page> {
  const context = await stack.browser.newContext({ viewport, reducedMotion: 'reduce' })
  const page = await context.newPage()
  // Fail fast: a missing element is a finding, not something to wait 30 s for.
  page.setDefaultTimeout(5_000)
  page.on('pageerror', (err) => pageErrors.push(String(err)))
  // A Content-Security-Policy refusal is only a console message; count it as an error too, so
  // every browser test shows that the dashboard's own code passes its CSP.
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) pageErrors.push(msg.text())
  })
  return page
}

/** Saves a full-page screenshot to IMAGES/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${IMAGES}/${name}.png`, fullPage: true })
}

/**
 * Screenshots at desktop and at 360 px (<name>-desktop.png, <name>-mobile.png), then back to the
 * page's own size; fails when the narrow page scrolls sideways.
 */
export async function shotsBothWidths(page: Page, name: string): Promise<void> {
  const own = page.viewportSize() ?? DESKTOP
  for (const [size, viewport] of [['desktop', DESKTOP], ['mobile', MOBILE]] as const) {
    await page.setViewportSize(viewport)
    await shot(page, `${name}-${size}`)
    if (await overflowsX(page)) throw new Error(`${name}-${size} scrolls sideways`)
  }
  await page.setViewportSize(own)
}

/** True when the page scrolls sideways (something wider than the viewport). */
export async function overflowsX(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth)
}

/**
 * The dashboard build uploaded to another host under /webhooks/, as on shared hosting: a plain file
 * server on its own port (so another origin), with config.js pointing at the API. Call setApiBase
 * once the API's address is known.
 */
export async function serveSubfolder(): Promise<{ origin: string; setApiBase(base: string): void; close(): Promise<void> }> {
  let apiBase = ''
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').replace(/^\/webhooks\//, '').split('?')[0] || 'index.html'
    if (!req.url?.startsWith('/webhooks/') || !/^[a-z-]+\.(html|js|css)$/.test(name)) return void res.writeHead(404).end()
    const body = name === 'config.js' ? `window.QSM_CONFIG = { apiBase: ${JSON.stringify(apiBase)} }` : readFileSync(join(DASHBOARD_DIST, name))
    res.writeHead(200, { 'content-type': types[name.slice(name.lastIndexOf('.'))]! }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setApiBase: (base) => void (apiBase = base),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
