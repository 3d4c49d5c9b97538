// The start banner says whether owner alerts are on, and never shows the SMTP password.
import { describe, expect, it } from 'vitest'
import { printBanner } from '../../../server/cli/banner.js'
import { testConfig } from '../../helpers/config.js'

const banner = (env: Record<string, string>) => {
  let out = ''
  printBanner({ config: testConfig(env), port: 3000, wroteEnv: false, dbVersion: 'SQLite 3', write: (s) => { out += s } })
  return out
}

describe('the start banner', () => {
  it('says alerts are off without QSM_SMTP_URL', () => {
    expect(banner({})).toContain('Alerts       off: set QSM_SMTP_URL to e-mail owners when an endpoint fails')
  })

  it('names the mail server and sender, without the password', () => {
    const out = banner({ QSM_SMTP_URL: 'smtp://mailer:s3cr%40t-pass@mail.example.com:587', QSM_ALERT_FROM: 'Hooks <hooks@example.com>' })
    expect(out).toContain('Alerts       e-mail via smtp://mailer@mail.example.com:587, from Hooks <hooks@example.com>')
    expect(out).not.toContain('s3cr')
  })
})
