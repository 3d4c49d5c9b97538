// The static dashboard uploaded to the mail app's own site, as getting-started.md step 8 says:
// dashboard/dist copied to public_html/webhooks/ of a second origin served by Apache, config.js
// pointing at the API (Apache + Passenger), QSM_DASHBOARD_ORIGIN and QSM_DASHBOARD_URL in .env,
// and the CSP .htaccess from the guide. Chromium signs in through the bridge's link and adds an
// endpoint across origins; the same files on a third origin are refused by CORS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { hostingUnavailable, startApache, type Apache } from './apache.js'
import { hostingDatabase, installApp, ROOT } from './app-install.js'
import { freePort } from '../helpers/server-process.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { parseDotEnv } from '../../server/config/load.js'
import { mintToken } from '../../server/auth/token.js'

const unavailable = hostingUnavailable()
if (unavailable && process.env.CI) throw new Error(`The hosting tests must run in CI, but ${unavailable}`)

let dir: string
let apache: Apache
let browser: Browser
let receiver: Receiver
let database: { url: string; drop(): Promise<void> }
let appRoot: string
let apiPort: number
let dashPort: number
let thirdPort: number
const problems: string[] = []

const origin = (port: number) => `http://127.0.0.1:${port}`
const secret = () => parseDotEnv(readFileSync(join(appRoot, '.env'), 'utf8')).QSM_BRIDGE_SECRET!

/** The .htaccess getting-started.md gives for the uploaded dashboard, with this test's API origin. */
const htaccess = (api: string) => `Header always set Content-Security-Policy "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${api}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"\n`

async function openPage(): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (err) => problems.push(String(err)))
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) problems.push(msg.text())
  })
  return page
}

// Apache, Passenger and a cold app are slow on a busy two-core machine; each step gets a minute.
describe.skipIf(unavailable)('the dashboard uploaded to another site, calling the API across origins', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qsm-dash-elsewhere-'))
    apiPort = await freePort()
    dashPort = await freePort()
    thirdPort = await freePort()
    database = await hostingDatabase()
    receiver = await startReceiver()
    const settings = {
      QSM_DATABASE_URL: database.url, QSM_PUBLIC_URL: origin(apiPort), QSM_DASHBOARD_ORIGIN: origin(dashPort),
      QSM_DASHBOARD_URL: `${origin(dashPort)}/webhooks/`, QSM_ALLOW_PRIVATE_TARGETS: 'true',
    }
    appRoot = installApp(dir, settings, { firstCronLine: false }).appRoot

    // Step 8: upload dashboard/dist to the mail site's webhooks/ and set apiBase in config.js.
    for (const site of ['mailsite', 'othersite']) {
      const target = join(dir, site, 'webhooks')
      mkdirSync(join(dir, site))
      cpSync(join(appRoot, 'dashboard/dist'), target, { recursive: true })
      writeFileSync(join(target, 'config.js'), `window.QSM_CONFIG = { apiBase: '${origin(apiPort)}' }\n`)
      writeFileSync(join(target, '.htaccess'), htaccess(origin(apiPort)))
    }
    const staticSite = (port: number, root: string) => `
<VirtualHost 127.0.0.1:${port}>
  DocumentRoot ${root}
  <Directory ${root}>
    Require all granted
    AllowOverride All
  </Directory>
</VirtualHost>
`
    apache = await startApache({
      dir: join(dir, 'apache'),
      ports: [apiPort, dashPort, thirdPort],
      modules: ['env', 'passenger', 'headers', 'mime', 'dir'],
      sites: `TypesConfig /etc/mime.types\nDirectoryIndex index.html\nPassengerPoolIdleTime 60\n
<VirtualHost 127.0.0.1:${apiPort}>
  DocumentRoot ${join(dir, 'mailsite')}
  PassengerAppRoot ${appRoot}
  PassengerAppType node
  PassengerStartupFile app.cjs
  PassengerNodejs ${process.execPath}
${Object.entries(settings).map(([k, v]) => `  SetEnv ${k} ${v}`).join('\n')}
</VirtualHost>
` + staticSite(dashPort, join(dir, 'mailsite')) + staticSite(thirdPort, join(dir, 'othersite')),
    })
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await apache?.stop()
    await receiver?.close()
    await database?.drop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('signs in through the link the mail app makes and adds an endpoint from the other origin, within its CSP', async () => {
    // The mail app's link: qsm_dashboard_url() of the bridge, with the bridge settings step 8 gives.
    const minted = spawnSync('php', ['-r', "require getenv('BRIDGE'); echo qsm_dashboard_url('usr_dash');"], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', BRIDGE: join(ROOT, 'bridge/qsm-bridge.php'), QSM_BRIDGE_SECRET: secret(), QSM_DASHBOARD_URL: `${origin(dashPort)}/webhooks/` },
    })
    const link = minted.stdout.trim()
    expect(link.startsWith(`${origin(dashPort)}/webhooks/#token=`)).toBe(true)
    const page = await openPage()
    const response = await page.goto(link)
    expect(response!.headers()['content-security-policy']).toContain(`connect-src ${origin(apiPort)}`)
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor()
    await page.getByRole('link', { name: 'Add endpoint' }).first().click()
    await page.getByLabel('URL', { exact: true }).fill(`${receiver.url}/hooks/qsm`)
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    await page.getByTestId('new-secret').waitFor()
    const token = await mintToken(secret(), 'usr_dash', Date.now())
    const list = await fetch(`${origin(apiPort)}/v1/webhooks`, { headers: { authorization: `Bearer ${token}` } })
    const body = (await list.json()) as { data: { url: string }[] }
    expect(body.data.map((e) => e.url)).toEqual([`${receiver.url}/hooks/qsm`])
    expect(problems).toEqual([])
  })

  it('is refused by CORS when the same files are served from a third origin', async () => {
    const preflight = await fetch(`${origin(apiPort)}/v1/webhooks`, {
      method: 'OPTIONS',
      headers: { origin: origin(thirdPort), 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    const token = await mintToken(secret(), 'usr_third', Date.now())
    const page = await openPage()
    await page.goto(`${origin(thirdPort)}/webhooks/#token=${token}`)
    await page.getByText('QSM Webhooks could not be reached').first().waitFor()
    const list = await fetch(`${origin(apiPort)}/v1/webhooks`, { headers: { authorization: `Bearer ${token}` } })
    expect(((await list.json()) as { data: unknown[] }).data).toEqual([])
  })
})
