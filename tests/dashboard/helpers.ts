// The dashboard's browser tests run against the real thing: the built dashboard, the real app on a
// real port over a SQLite file, a loopback receiver, and the system Chromium through playwright-core.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createApp } from '../../server/app.js'
import { systemClock } from '../../server/clock.js'
import { mintToken } from '../../server/auth/token.js'
import { createLogger } from '../../server/log.js'
import { createUndiciSender } from '../../server/delivery/sender.js'
import { startInProcessDispatcher } from '../../server/delivery/in-process.js'
import { idleDispatcher } from '../../server/delivery/types.js'
import { newId } from '../../server/db/ids.js'
import { connect, type Db } from '../../server/db/connect.js'
import { migrateToLatest } from '../../server/db/migrate.js'
import { sign } from '../../server/signing/sign.js'
import { EXAMPLES } from '../../server/events/examples.js'
import type { AppDeps } from '../../server/http/context.js'
import { testConfig, TEST_SECRETS } from '../helpers/config.js'
import { createTestDatabase } from '../helpers/db.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'

export const IMAGES = 'docs/images'
export const DESKTOP = { width: 1280, height: 800 }
export const MOBILE = { width: 360, height: 740 }

const LOCK = join(tmpdir(), 'qsm-dashboard-build.lock')

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Runs `node dashboard/build.mjs` unless dist/ is newer than every source. Test files run in
 * parallel and the build empties dist/ first, so a lock makes one build at a time and the files
 * after the first find dist/ fresh instead of deleting it under a running browser.
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
    const sources = Math.max(newestSource('dashboard/src'), ...['index.html', 'config.js', 'build.mjs', 'htm-precompile.mjs'].map((f) => statSync(`dashboard/${f}`).mtimeMs))
    const built = existsSync('dashboard/dist/app.js') ? statSync('dashboard/dist/app.js').mtimeMs : 0
    if (built > sources) return
    const r = spawnSync(process.execPath, ['dashboard/build.mjs'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`dashboard build failed:\n${r.stdout}\n${r.stderr}`)
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

export interface Stack {
  base: string
  db: Db
  deps: AppDeps
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
  const deps: AppDeps = {
    db, config, clock: systemClock, random: Math.random, log: createLogger({ level: 'silent' }),
    sender: createUndiciSender({ allowPrivateTargets: true, concurrency: config.concurrency }),
    dispatcher: idleDispatcher,
  }
  // The in-process delivery loop, when it exists, sends first attempts right after ingest.
  deps.dispatcher = startInProcessDispatcher(deps)
  const app = createApp(deps)
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
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

/** Saves a full-page screenshot to docs/images/<name>.png. */
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
 * dashboard/dist uploaded to another host under /webhooks/, as on shared hosting: a plain file
 * server on its own port (so another origin), with config.js pointing at the API. Call setApiBase
 * once the API's address is known.
 */
export async function serveSubfolder(): Promise<{ origin: string; setApiBase(base: string): void; close(): Promise<void> }> {
  let apiBase = ''
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').replace(/^\/webhooks\//, '').split('?')[0] || 'index.html'
    if (!req.url?.startsWith('/webhooks/') || !/^[a-z-]+\.(html|js|css)$/.test(name)) return void res.writeHead(404).end()
    const body = name === 'config.js' ? `window.QSM_CONFIG = { apiBase: ${JSON.stringify(apiBase)} }` : readFileSync(join('dashboard/dist', name))
    res.writeHead(200, { 'content-type': types[name.slice(name.lastIndexOf('.'))]! }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setApiBase: (base) => void (apiBase = base),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
