// The dashboard's browser tests run against the real thing: the built dashboard, the real app on a
// real port over a SQLite file, a loopback receiver, and the system Chromium through playwright-core.
import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
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

export function buildDashboard(): void {
  const r = spawnSync(process.execPath, ['dashboard/build.mjs'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`dashboard build failed:\n${r.stdout}\n${r.stderr}`)
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

export async function startStack(): Promise<Stack> {
  buildDashboard()
  mkdirSync(IMAGES, { recursive: true })
  const created = await createTestDatabase('sqlite')
  const db = await connect(created.url)
  await migrateToLatest(db)
  const config = testConfig({ QSM_ALLOW_PRIVATE_TARGETS: 'true' }, created.url)
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
  page.on('pageerror', (err) => pageErrors.push(String(err)))
  return page
}

/** Saves a full-page screenshot to docs/images/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${IMAGES}/${name}.png`, fullPage: true })
}

/** True when the page scrolls sideways (something wider than the viewport). */
export async function overflowsX(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth)
}
