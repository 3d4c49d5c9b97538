// The whole account-owner flow in headless Chromium against the real server and database:
// sign in from a link, add an endpoint (after a validation error), pause and resume it, send a
// test, read and filter deliveries, redeliver, rotate the secret, delete. Screenshots at 1280 px
// and 360 px go to test-results/screenshots/ (`npm run screenshots` copies them to docs/images/).
// Each test signs in as its own user in its own browser context and makes the endpoint it needs,
// so any one of them runs alone (vitest -t "<name>") and the order does not matter.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { seedPair } from '../helpers/seed.js'
import { openPage, pageErrors, shotsBothWidths, startStack, type Stack } from './helpers.js'

let stack: Stack
let page: Page
let users = 0

/** A user no other test has used, signed in from a link in a fresh page. */
async function signIn(): Promise<{ user: string; token: string }> {
  const user = `usr_flow_${++users}`
  const link = await stack.link(user)
  page = await openPage(stack)
  await page.goto(link)
  await page.getByRole('heading', { name: 'Endpoints' }).waitFor()
  return { user, token: link.split('#token=')[1]! }
}

/** signIn, plus an endpoint that posts to the loopback receiver (made through the API), opened. */
async function signInWithEndpoint(): Promise<{ user: string; endpointId: string }> {
  const { user, token } = await signIn()
  const res = await fetch(`${stack.base}/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${stack.receiver.url}/hooks/qsm`, description: 'Order system', event_types: ['*'] }),
  })
  expect(res.status).toBe(201)
  const endpointId = ((await res.json()) as { id: string }).id
  await page.goto(`${stack.base}/dashboard/#/endpoints/${endpointId}`)
  await page.getByRole('heading', { name: 'Order system' }).waitFor()
  return { user, endpointId }
}

describe('dashboard flow (desktop)', () => {
  beforeAll(async () => {
    stack = await startStack()
  })
  afterEach(async () => {
    await page?.context().close()
  })
  afterAll(async () => {
    await stack?.close()
    expect(pageErrors).toEqual([])
  })

  it('signs in from the link, keeps the token for the tab only and removes it from the address bar', async () => {
    page = await openPage(stack)
    await page.goto(await stack.link('usr_flow_signin'))
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor()
    expect(page.url()).not.toContain('token=')
    expect(await page.evaluate(() => sessionStorage.getItem('qsm-webhooks-token'))).toMatch(/^ey/)
    await page.getByText('No endpoints yet').waitFor()
    await shotsBothWidths(page, 'endpoints-empty')
  })

  it('shows the API validation message beside the URL field, then adds the endpoint', async () => {
    await signIn()
    await page.getByRole('link', { name: 'Add endpoint' }).first().click()
    await page.getByRole('heading', { name: 'Add endpoint' }).waitFor()
    await page.getByText('email.failed', { exact: true }).waitFor()
    await page.getByLabel('URL', { exact: true }).fill('not a url')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const error = page.getByTestId('error-url')
    await error.waitFor()
    expect(await error.textContent()).toMatch(/URL must/)
    expect(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByLabel('URL', { exact: true }).getAttribute('aria-describedby')).toContain('url-error')

    await page.getByLabel('URL', { exact: true }).fill(`${stack.receiver.url}/hooks/qsm`)
    await page.getByLabel('Description (optional)').fill('Order system')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const secret = page.getByTestId('new-secret')
    await secret.waitFor()
    expect(await secret.getByTestId('secret-value').textContent()).toMatch(/^whsec_/)
    const endpointId = decodeURIComponent(page.url().split('#/endpoints/')[1]!)
    expect(endpointId).toMatch(/^wh_/)
    await shotsBothWidths(page, 'endpoint-created')
  })

  it('pauses and resumes the endpoint', async () => {
    await signInWithEndpoint()
    await page.getByRole('button', { name: 'Pause endpoint' }).click()
    await page.getByTestId('endpoint-status').getByText('Paused').waitFor()
    await page.getByRole('button', { name: 'Resume endpoint' }).click()
    await page.getByTestId('endpoint-status').getByText('Active').waitFor()
    await page.getByTestId('live').getByText('Endpoint is on').waitFor()
  })

  it('sends a test event and shows the outcome in plain words', async () => {
    await signInWithEndpoint()
    const before = stack.receiver.received.length
    await page.getByRole('button', { name: 'Send test event' }).click()
    const result = page.getByTestId('test-result')
    await result.waitFor()
    expect(await result.textContent()).toMatch(/Delivered\. Your endpoint answered 200 in \d+ ms/)
    expect(stack.receiver.received.length).toBe(before + 1)
    await shotsBothWidths(page, 'test-result-success')

    stack.receiver.queue({ status: 500, body: 'boom' })
    await page.getByRole('button', { name: 'Send test event' }).click()
    await page.getByTestId('test-result').getByText('Not delivered', { exact: false }).waitFor()
    const text = await page.getByTestId('test-result').textContent()
    expect(text).toContain('500')
    expect(text).toContain('What to do')
    await shotsBothWidths(page, 'test-result-failure')
  })

  it('lists deliveries, filters by status and redelivers', async () => {
    const { user, endpointId } = await signInWithEndpoint()
    const ingest = await stack.emit(user, 'email.received')
    expect(ingest.status).toBe(202)
    await seedPair(stack.db, { userId: user, endpointId, status: 'failed', type: 'email.failed' })
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click()
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await page.getByTestId('delivery').first().waitFor()
    expect(await page.getByTestId('delivery').count()).toBeGreaterThanOrEqual(2)

    await page.getByLabel('Status').selectOption('failed')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=delivery]')].every((el) => el.getAttribute('data-status') === 'failed'))
    // The seeded email.failed one.
    const failed = page.getByTestId('delivery').filter({ hasText: 'email.failed' })
    expect(await failed.count()).toBe(1)
    await failed.getByRole('button', { name: 'Redeliver' }).click()
    await page.getByTestId('live').getByText('Redelivery of email.failed queued').waitFor()
    await shotsBothWidths(page, 'deliveries-filtered')
  })

  it('redelivers every failed delivery since a time', async () => {
    const { user, endpointId } = await signInWithEndpoint()
    await seedPair(stack.db, { userId: user, endpointId, status: 'failed', type: 'email.failed' })
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click()
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await page.locator('#endpoint_id').selectOption(endpointId)
    await page.getByRole('button', { name: 'Redeliver failed deliveries' }).click()
    const result = page.getByTestId('replay-result')
    await result.waitFor()
    expect(await result.textContent()).toMatch(/\d+ failed deliver(y is|ies are) due again now/)
  })

  it('rotates the secret after a confirmation and shows the new one once', async () => {
    await signInWithEndpoint()
    await page.getByRole('button', { name: 'Reveal secret' }).click()
    const old = await page.getByTestId('secret-value').textContent()
    // Escape closes the question and gives focus back to the button that opened it.
    await page.getByRole('button', { name: 'Rotate secret' }).click()
    await page.waitForFunction(() => document.activeElement?.textContent === 'Make a new secret')
    await page.keyboard.press('Escape')
    await page.waitForFunction(() => document.activeElement?.textContent === 'Rotate secret')
    expect(await page.getByRole('button', { name: 'Make a new secret' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Rotate secret' }).click()
    await page.getByRole('button', { name: 'Make a new secret' }).click()
    const rotated = page.getByTestId('rotated-secret')
    await rotated.waitFor()
    const fresh = await rotated.getByTestId('secret-value').textContent()
    expect(fresh).toMatch(/^whsec_/)
    expect(fresh).not.toBe(old)
    await shotsBothWidths(page, 'secret-rotated')
  })

  it('deletes the endpoint after a confirmation', async () => {
    await signInWithEndpoint()
    await page.getByRole('button', { name: 'Delete endpoint' }).click()
    await page.getByRole('button', { name: 'Delete this endpoint' }).click()
    await page.getByText('No endpoints yet').waitFor()
    await page.getByTestId('live').getByText('Endpoint deleted').waitFor()
  })
})
