// Debugging a delivery in headless Chromium against the real server, database and a real
// receiver: open a failed delivery from the log, read its payload, headers, attempts and the
// start of the receiver's answer; copy an id; filter the log by event id and time range and get
// the same view after a reload; at 1280 and 360 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { encryptSecret, generateSecret } from '../../server/crypto/secrets.js'
import { seedEndpoint, seedPair } from '../helpers/seed.js'
import { DESKTOP, MOBILE, openPage, overflowsX, pageErrors, shot, startStack, type Stack } from './helpers.js'

const USER = 'usr_debug'
let stack: Stack
let failedId = ''
let failedEvent = ''
let otherEvent = ''

async function signedIn(viewport: typeof DESKTOP, hash = '#/deliveries'): Promise<Page> {
  const page = await openPage(stack, viewport)
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.base })
  await page.goto((await stack.link(USER)).replace('#token=', `${hash}${hash.includes('?') ? '&' : '?'}token=`))
  return page
}

describe('debugging a delivery', () => {
  beforeAll(async () => {
    // One attempt, so the receiver's 422 fails the delivery for good.
    stack = await startStack({ QSM_MAX_ATTEMPTS: '1' })
    const endpoint = await seedEndpoint(stack.db, { userId: USER, url: `${stack.receiver.url}/orders`, secretEnc: encryptSecret(generateSecret(), stack.deps.config.appKey) })
    // A delivery that really fails against the receiver: the runner records its attempt.
    stack.receiver.fallback = { status: 422, body: '{"error":"order 1182 unknown","trace":"OrderService.lookup"}' }
    const failed = await seedPair(stack.db, { userId: USER, endpointId: endpoint, type: 'email.failed', at: Date.now() - 60_000 })
    await stack.db.db.updateTable('deliveries').set({ next_attempt_at: Date.now() }).where('id', '=', failed.deliveryId).execute()
    failedId = failed.deliveryId
    failedEvent = failed.eventId
    // Older ones, outside the time range the test filters by.
    otherEvent = (await seedPair(stack.db, { userId: USER, endpointId: endpoint, status: 'succeeded', type: 'email.received', at: Date.now() - 3 * 86_400_000 })).eventId
    await seedPair(stack.db, { userId: USER, endpointId: endpoint, status: 'failed', type: 'webhook.test', at: Date.now() - 30_000 })
    stack.deps.dispatcher.wake()
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const row = await stack.db.db.selectFrom('deliveries').select(['attempts', 'status']).where('id', '=', failedId).executeTakeFirstOrThrow()
      if (Number(row.attempts) >= 1 && row.status === 'failed') break
      await new Promise((r) => setTimeout(r, 50))
    }
  })
  afterAll(async () => {
    await stack?.close()
    expect(pageErrors).toEqual([])
  })

  for (const [size, viewport] of [['desktop', DESKTOP], ['mobile', MOBILE]] as const) {
    it(`opens a failed delivery from the log and shows its payload, headers, attempts and the answer (${size})`, async () => {
      const page = await signedIn(viewport, '#/deliveries?status=failed')
      const row = page.locator('[data-testid=delivery]').filter({ hasText: 'email.failed' })
      await row.waitFor()
      // Test sends are hidden by default; Redeliver is offered on the failed row.
      expect(await page.locator('[data-testid=delivery]').filter({ hasText: 'webhook.test' }).count()).toBe(0)
      await row.getByRole('button', { name: 'Redeliver' }).waitFor()
      await shot(page, `delivery-log-${size}`)
      expect(await overflowsX(page)).toBe(false)

      await row.getByRole('link', { name: 'Details' }).click()
      await page.getByTestId('delivery-id').waitFor()
      expect(await page.title()).toBe('Delivery email.failed · QSM Webhooks')
      expect(await page.getByTestId('delivery-id').textContent()).toBe(failedId)
      expect(await page.getByTestId('event-id').textContent()).toBe(failedEvent)
      const payload = await page.getByTestId('payload').textContent()
      expect(payload).toBe(stack.receiver.received.find((r) => r.headers['webhook-id'] === failedEvent)!.body)
      expect(await page.getByTestId('request-headers').textContent()).toMatch(/webhook-signature: v1,/)
      const attempt = page.getByTestId('attempt').first()
      expect(await attempt.textContent()).toMatch(/Attempt 1.*\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2}.*Automatic.*Answered 422/s)
      await attempt.getByText('Start of the answer').click()
      expect(await attempt.getByTestId('response-excerpt').textContent()).toContain('order 1182 unknown')
      await shot(page, `delivery-page-${size}`)
      expect(await overflowsX(page)).toBe(false)

      await page.getByRole('button', { name: 'Copy event id' }).click()
      await page.getByTestId('live').getByText('Event id copied.').waitFor()
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(failedEvent)
      await page.context().close()
    })
  }

  it('keeps keyboard focus on Refresh and Redeliver while their requests run and after', async () => {
    const page = await signedIn(DESKTOP)
    await page.locator('[data-testid=delivery]').first().waitFor()
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim())
    await page.getByRole('button', { name: 'Refresh' }).focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('live').getByText(/shown\.$/).waitFor()
    expect(await focused()).toBe('Refresh')
    await page.goto(`${stack.base}/dashboard/#/deliveries/${failedId}`)
    await page.getByRole('button', { name: 'Redeliver' }).focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('live').getByText('Redelivery of email.failed queued', { exact: false }).waitFor()
    // The announcement comes before the delivery is read again; the button says "Redelivering…"
    // until that read ends. Focus must sit on it in both states.
    expect(await focused()).toMatch(/^Redeliver(ing…)?$/)
    await page.locator('button[aria-busy=true]').waitFor({ state: 'detached' })
    await page.getByTestId('delivery-status').getByText(/Pending|Failed|Succeeded/).waitFor()
    expect(await focused()).toBe('Redeliver')
    await page.context().close()
  })

  it('adds an endpoint with a custom header, sends it with the test event, and refreshes the 24 h figures', async () => {
    const page = await signedIn(DESKTOP, '#/endpoints/new')
    await page.getByRole('heading', { name: 'Add endpoint' }).waitFor()
    expect(await page.title()).toBe('Add endpoint · QSM Webhooks')
    await page.getByLabel('URL', { exact: true }).fill(`${stack.receiver.url}/with-headers`)
    await page.getByLabel('Custom headers (optional)').fill('X-Receiver-Token: tok-5521')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    await page.getByRole('button', { name: 'Send test event' }).waitFor()
    stack.receiver.fallback = { status: 200, body: 'ok' }
    const before = stack.receiver.received.length
    await page.getByRole('button', { name: 'Send test event' }).click()
    await page.getByTestId('test-result').waitFor()
    expect(stack.receiver.received.slice(before).map((r) => r.headers['x-receiver-token'])).toEqual(['tok-5521'])
    expect(await page.getByTestId('test-result').textContent()).toContain('X-Receiver-Token: ••••••')
    expect(await page.getByText('Send test event', { exact: true }).evaluate((el) => el === document.activeElement)).toBe(true)
    await page.getByText('1 delivery, 100 % succeeded').waitFor()
    await page.context().close()
  })

  it('filters by event id and by time range, and a reload shows the same view', async () => {
    const page = await signedIn(DESKTOP)
    await page.locator('[data-testid=delivery]').first().waitFor()
    await page.getByLabel('Event id').fill(failedEvent)
    await page.getByLabel('Event id').press('Enter')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=delivery]').length === 1)
    expect(page.url()).toContain(`event_id=${failedEvent}`)
    await page.reload()
    await page.locator('[data-testid=delivery]').first().waitFor()
    expect(await page.locator('[data-testid=delivery]').count()).toBe(1)
    expect(await page.getByLabel('Event id').inputValue()).toBe(failedEvent)

    await page.getByLabel('Event id').fill('')
    await page.getByLabel('Event id').press('Enter')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=delivery]').length === 2)
    // From two days ago: the three-day-old delivery drops out.
    const from = new Date(Date.now() - 2 * 86_400_000)
    const pad = (n: number) => String(n).padStart(2, '0')
    await page.getByLabel('From').fill(`${from.getFullYear()}-${pad(from.getMonth() + 1)}-${pad(from.getDate())}T${pad(from.getHours())}:${pad(from.getMinutes())}`)
    await page.getByLabel('From').press('Enter')
    await page.getByLabel('From').blur()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=delivery]').length === 1)
    expect(page.url()).toContain('since=')
    await page.reload()
    await page.locator('[data-testid=delivery]').first().waitFor()
    expect(await page.locator('[data-testid=delivery]').count()).toBe(1)
    expect(await page.locator('[data-testid=delivery]').textContent()).not.toContain('email.received')
    expect(otherEvent).toMatch(/^evt_/)
    await shot(page, 'delivery-log-filtered-desktop')
    await page.context().close()
  })
})
