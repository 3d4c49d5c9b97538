// Endpoint health in the browser: a failing endpoint shows as failing (never the green "Active")
// with a banner on the list, its last failures and what to do on its page, at 1280 and 360 px;
// turning a disabled endpoint on offers to redeliver what failed; the Alerts screen saves an
// address, explains a bad one, and shows a saved one from its first frame. Screenshots go to
// test-results/screenshots/ (npm run screenshots copies them to docs/images/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { encryptSecret, generateSecret } from '../../server/crypto/secrets.js'
import { seedDelivery, seedEndpoint, seedEvent } from '../helpers/seed.js'
import { DESKTOP, MOBILE, openPage, overflowsX, pageErrors, shot, startStack, type Stack } from './helpers.js'

const USER = 'usr_health'
let stack: Stack
let broken = ''
let gone = ''

async function failedAttempts(s: Stack, endpointId: string, count: number, now: number) {
  for (let i = 0; i < count; i++) {
    const eventId = await seedEvent(s.db, { userId: USER, type: 'email.failed', at: now - (count - i) * 120_000 })
    const dlv = await seedDelivery(s.db, { userId: USER, endpointId, eventId, eventType: 'email.failed', status: 'failed', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500', at: now - (count - i) * 120_000 })
    await s.db.db.insertInto('delivery_attempts').values({ delivery_id: dlv, attempt: 1, started_at: now - (count - i) * 120_000, duration_ms: 40, status_code: 500, error_class: 'http_error', error: 'HTTP 500', trigger: 'scheduled' }).execute()
  }
}

async function seed(s: Stack) {
  const now = Date.now()
  const secretEnc = encryptSecret(generateSecret(), s.deps.config.appKey)
  broken = await seedEndpoint(s.db, { userId: USER, url: 'https://orders.example.com/webhooks/qsm', eventTypes: ['email.*'], at: now - 3000, secretEnc })
  await s.db.db.updateTable('endpoints').set({
    description: 'Order system (broken)', failing_since: now - 25 * 60_000, consecutive_failures: 6, last_failure_at: now - 120_000, last_failure_error: 'HTTP 500', alert_state: 'failing',
  }).where('id', '=', broken).execute()
  await failedAttempts(s, broken, 6, now)
  const fine = await seedEndpoint(s.db, { userId: USER, url: 'https://crm.example.com/hooks/qsm', eventTypes: ['endpoint.*'], at: now - 2000, secretEnc })
  await s.db.db.updateTable('endpoints').set({ description: 'Ops alerts' }).where('id', '=', fine).execute()
  gone = await seedEndpoint(s.db, { userId: USER, url: `${s.receiver.url}/old`, isActive: false, at: now - 1000, secretEnc })
  await s.db.db.updateTable('endpoints').set({
    description: 'Old shop', disabled_reason: 'The endpoint answered 410 Gone', disabled_at: now - 3_600_000, failing_since: now - 3_600_000,
    consecutive_failures: 1, last_failure_error: 'HTTP 410', alert_state: 'disabled',
  }).where('id', '=', gone).execute()
  await failedAttempts(s, gone, 2, now - 3_600_000)
}

async function capture(page: Page, name: string) {
  await shot(page, name)
  expect(await overflowsX(page), `${name} scrolls sideways`).toBe(false)
}

describe('endpoint health in the dashboard', () => {
  beforeAll(async () => {
    stack = await startStack()
    await seed(stack)
  })
  afterAll(async () => {
    await stack?.close()
    expect(pageErrors).toEqual([])
  })

  for (const [size, viewport] of [['desktop', DESKTOP], ['mobile', MOBILE]] as const) {
    it(`shows a failing endpoint as failing, with a banner, at ${viewport.width} px`, async () => {
      const page = await openPage(stack, viewport)
      await page.goto(await stack.link(USER))
      const banner = page.getByTestId('health-banner')
      await banner.waitFor()
      expect(await banner.textContent()).toContain('1 endpoint is failing: Order system (broken)')
      expect(await banner.textContent()).toContain('QSM turned 1 endpoint off: Old shop')
      const card = page.getByTestId('endpoint-card').filter({ hasText: 'Order system (broken)' })
      expect(await card.getByTestId('endpoint-badge').textContent()).toBe('✕ Failing')
      expect(await card.textContent()).toContain('6 failed attempts in a row. Last error: HTTP 500.')
      expect(await card.textContent()).not.toContain('Active')
      await capture(page, `endpoints-failing-${size}`)

      await card.getByRole('link', { name: 'Order system (broken)' }).click()
      await page.getByTestId('health-failing').waitFor()
      expect(await page.getByTestId('endpoint-status').textContent()).toBe('✕ Failing')
      const failures = page.getByTestId('recent-failures').locator('li')
      expect(await failures.count()).toBe(5)
      expect(await failures.first().textContent()).toContain('Your endpoint had an error; its logs say why.')
      await capture(page, `endpoint-failing-${size}`)
      await page.context().close()
    })
  }

  it('offers to redeliver what failed once a disabled endpoint is turned on again', async () => {
    const page = await openPage(stack)
    await page.goto(`${await stack.link(USER)}`)
    await page.getByTestId('endpoint-card').first().waitFor()
    await page.goto(`${stack.base}/dashboard/#/endpoints/${gone}`)
    await page.getByRole('button', { name: 'Turn on again' }).click()
    await page.getByTestId('redeliver-offer').waitFor()
    expect(await page.getByTestId('endpoint-status').textContent()).toBe('↻ Recovering')
    await capture(page, 'endpoint-redeliver-offer-desktop')
    await page.getByRole('button', { name: 'Redeliver failed deliveries' }).click()
    expect(await page.getByTestId('redeliver-result').textContent()).toContain('2 failed deliveries are due again now.')
    await page.context().close()
  })

  it('saves an alert address on the Alerts screen, and explains one that is not an address', async () => {
    const page = await openPage(stack, MOBILE)
    await page.goto(await stack.link(USER))
    await page.getByTestId('endpoint-card').first().waitFor()
    await page.getByRole('link', { name: 'Alerts', exact: true }).click()
    const email = page.getByLabel('E-mail address')
    await email.fill('owner at example')
    await page.getByRole('button', { name: 'Save alert settings' }).click()
    expect(await page.getByTestId('error-email').textContent()).toContain('E-mail address must be an e-mail address, e.g. you@example.com')
    expect(await email.getAttribute('aria-invalid')).toBe('true')
    await capture(page, 'alerts-invalid-mobile')
    await email.fill('owner@example.com')
    await page.getByRole('button', { name: 'Save alert settings' }).click()
    expect(await page.getByTestId('alerts-saved').textContent()).toContain('Saved. Alerts go to owner@example.com.')
    await page.setViewportSize(DESKTOP)
    await capture(page, 'alerts-desktop')
    const row = await stack.db.db.selectFrom('alert_settings').selectAll().where('user_id', '=', USER).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ email: 'owner@example.com', source: 'user' })
    expect(Number(row.enabled)).toBe(1)
    await page.context().close()
  })

  it('shows the saved address in the Alerts form from the moment it appears, so nothing typed there is replaced', async () => {
    const user = 'usr_alerts_saved'
    await stack.db.db.insertInto('alert_settings').values({ user_id: user, email: 'saved@example.com', enabled: 1, source: 'user', updated_at: Date.now() }).execute()
    const page = await openPage(stack)
    // Records the field's value when it is first put in the page: a form that filled it in
    // afterwards (an effect after the first paint) could overwrite what someone had begun to type.
    await page.addInitScript(() => {
      const w = window as unknown as { firstEmail?: string }
      new MutationObserver((_, observer) => {
        const input = document.querySelector<HTMLInputElement>('input[name="email"]')
        if (!input) return
        w.firstEmail = input.value
        observer.disconnect()
      }).observe(document, { childList: true, subtree: true })
    })
    await page.goto(await stack.link(user))
    await page.getByRole('link', { name: 'Alerts', exact: true }).click()
    await page.getByLabel('E-mail address').waitFor()
    expect(await page.evaluate(() => (window as unknown as { firstEmail?: string }).firstEmail)).toBe('saved@example.com')
    expect(await page.getByLabel('E-mail address').inputValue()).toBe('saved@example.com')
    await page.context().close()
  })
})
