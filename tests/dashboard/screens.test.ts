// Every screen at 1280 px and 360 px with realistic data (active, paused and disabled endpoints,
// deliveries in each status): screenshots (`npm run screenshots` copies them to docs/images/) and a
// check that nothing scrolls sideways. Also: the create form with the keyboard only, and the signed-out screens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { encryptSecret, generateSecret } from '../../server/crypto/secrets.js'
import { seedDelivery, seedEndpoint, seedEvent, seedPair } from '../helpers/seed.js'
import { DESKTOP, MOBILE, openPage, overflowsX, pageErrors, serveSubfolder, shot, startStack, type Stack } from './helpers.js'

const USER = 'usr_screens'
let stack: Stack
let upload: Awaited<ReturnType<typeof serveSubfolder>>
let active = ''

async function seed(s: Stack) {
  const now = Date.now()
  // A real encrypted secret: the delivery loop sends the pending delivery below while we look.
  const secretEnc = encryptSecret(generateSecret(), s.deps.config.appKey)
  active = await seedEndpoint(s.db, { userId: USER, url: `${s.receiver.url}/webhooks/qsm/orders-and-invoices-with-a-long-path`, eventTypes: ['email.*', 'usage.threshold_reached'], at: now - 3000, secretEnc })
  await s.db.db.updateTable('endpoints').set({ description: 'Order system' }).where('id', '=', active).execute()
  const paused = await seedEndpoint(s.db, { userId: USER, url: 'https://crm.example.com/hooks/qsm', eventTypes: ['email.failed'], isActive: false, at: now - 2000 })
  await s.db.db.updateTable('endpoints').set({ description: 'CRM (paused while we migrate)' }).where('id', '=', paused).execute()
  const disabled = await seedEndpoint(s.db, { userId: USER, url: 'https://old.example.net/webhook', isActive: false, at: now - 1000 })
  await s.db.db.updateTable('endpoints').set({ disabled_reason: 'The endpoint answered 410 Gone', disabled_at: now - 3_600_000 }).where('id', '=', disabled).execute()
  for (const [status, type] of [['succeeded', 'email.received'], ['succeeded', 'email.forwarded'], ['failed', 'email.failed'], ['pending', 'usage.threshold_reached']] as const) {
    await seedPair(s.db, { userId: USER, endpointId: active, status, type })
  }
  const eventId = await seedEvent(s.db, { userId: USER, type: 'email.spam' })
  const spam = await seedDelivery(s.db, { userId: USER, endpointId: active, eventId, eventType: 'email.spam', status: 'failed', attempts: 3, lastStatusCode: 503, lastError: 'HTTP 503' })
  const attempts = [
    { status_code: null, duration_ms: 10_000, error_class: 'timeout', error: 'No answer within 10 s' },
    { status_code: 503, duration_ms: 41, error_class: 'http_error', error: 'HTTP 503' },
    { status_code: 503, duration_ms: 38, error_class: 'http_error', error: 'HTTP 503' },
  ]
  await s.db.db.insertInto('delivery_attempts').values(attempts.map((a, i) => ({ ...a, delivery_id: spam, attempt: i + 1, started_at: now - (3 - i) * 600_000, trigger: 'scheduled' }))).execute()
}

async function signedIn(viewport: typeof DESKTOP): Promise<Page> {
  const page = await openPage(stack, viewport)
  await page.goto(await stack.link(USER))
  await page.getByTestId('endpoint-card').first().waitFor()
  return page
}

async function capture(page: Page, name: string) {
  await shot(page, name)
  expect(await overflowsX(page), `${name} scrolls sideways`).toBe(false)
}

describe('dashboard screens', () => {
  beforeAll(async () => {
    upload = await serveSubfolder()
    stack = await startStack({ QSM_DASHBOARD_ORIGIN: upload.origin })
    upload.setApiBase(stack.base)
    await seed(stack)
  })
  afterAll(async () => {
    await upload?.close()
    await stack?.close()
    expect(pageErrors).toEqual([])
  })

  for (const [size, viewport] of [['desktop', DESKTOP], ['mobile', MOBILE]] as const) {
    it(`every screen at ${size} width`, async () => {
      const page = await signedIn(viewport)
      expect(await page.getByTestId('endpoint-card').count()).toBe(3)
      await page.getByText('QSM turned this endpoint off: The endpoint answered 410 Gone').waitFor()
      await capture(page, `endpoints-${size}`)

      await page.goto(`${stack.base}/dashboard/#/endpoints/new`)
      await page.getByLabel('URL', { exact: true }).fill('ftp://example.com/hook')
      await page.getByText('email.failed', { exact: true }).waitFor()
      await page.getByRole('button', { name: 'Add endpoint' }).click()
      await page.getByTestId('error-url').waitFor()
      await capture(page, `endpoint-form-error-${size}`)

      await page.goto(`${stack.base}/dashboard/#/endpoints/${active}/edit`)
      await page.getByLabel('URL', { exact: true }).waitFor()
      await page.locator('details').first().locator('summary').click()
      await capture(page, `endpoint-form-edit-${size}`)

      await page.goto(`${stack.base}/dashboard/#/endpoints/${active}`)
      await page.getByRole('button', { name: 'Reveal secret' }).waitFor()
      await capture(page, `endpoint-detail-${size}`)

      await page.goto(`${stack.base}/dashboard/#/deliveries`)
      await page.getByTestId('delivery').first().waitFor()
      await capture(page, `deliveries-${size}`)
      await page.context().close()
    })
  }

  it('creates an endpoint with the keyboard only (Tab, typing, Enter)', async () => {
    const page = await signedIn(DESKTOP)
    const focused = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.textContent?.trim() || document.activeElement?.id || '')
    for (let i = 0; i < 15 && (await focused()) !== 'Add endpoint'; i++) await page.keyboard.press('Tab')
    expect(await focused()).toBe('Add endpoint')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Add endpoint' }).waitFor()
    await page.getByText('email.failed', { exact: true }).waitFor()
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('url')
    await page.keyboard.type(`${stack.receiver.url}/keyboard`)
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('description')
    await page.keyboard.type('Typed with the keyboard')
    await page.keyboard.press('Enter')
    await page.getByTestId('new-secret').waitFor()
    await page.getByRole('heading', { name: 'Typed with the keyboard' }).waitFor()
    // Focus moved to the new page's heading, and it shows a visible focus ring when tabbing on.
    await page.keyboard.press('Tab')
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)
    expect(outline).toBe('solid')
    await page.context().close()
  })

  it('works uploaded to a sub-folder of another host, with the API address in config.js (CORS)', async () => {
    const page = await openPage(stack, DESKTOP)
    const token = (await stack.link(USER)).split('#token=')[1]
    await page.goto(`${upload.origin}/webhooks/#token=${token}`)
    await page.getByText('Order system').waitFor()
    expect(page.url()).toBe(`${upload.origin}/webhooks/#/`)
    await page.context().close()
  })

  it('pages the delivery log with Load more', async () => {
    const userId = 'usr_paging'
    const endpointId = await seedEndpoint(stack.db, { userId, url: `${stack.receiver.url}/paging` })
    for (let i = 0; i < 30; i++) await seedPair(stack.db, { userId, endpointId, status: i % 2 ? 'failed' : 'succeeded', at: Date.now() - i * 1000 })
    const page = await openPage(stack, DESKTOP)
    await page.goto((await stack.link(userId)).replace('#token=', '#/deliveries?x=1&token='))
    await page.getByTestId('delivery').first().waitFor()
    expect(await page.getByTestId('delivery').count()).toBe(25)
    await page.getByRole('button', { name: 'Load more' }).click()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=delivery]').length === 30)
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0)
    await page.context().close()
  })

  it('explains how to sign in again when the link has expired or is missing', async () => {
    for (const [size, viewport] of [['desktop', DESKTOP], ['mobile', MOBILE]] as const) {
      const page = await openPage(stack, viewport)
      await page.goto(`${stack.base}/dashboard/#token=not.a.valid-token`)
      await page.getByRole('heading', { name: 'Your sign-in link has expired' }).waitFor()
      expect(await page.getByTestId('signed-out').textContent()).toContain('npx qsm-webhooks token USER_ID')
      expect(await page.evaluate(() => sessionStorage.getItem('qsm-webhooks-token'))).toBeNull()
      await capture(page, `signed-out-${size}`)
      await page.context().close()
    }
    const fresh = await openPage(stack, DESKTOP)
    await fresh.goto(`${stack.base}/dashboard/`)
    await fresh.getByRole('heading', { name: 'You are not signed in' }).waitFor()
    await fresh.context().close()
  })
})
