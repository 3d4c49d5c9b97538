// The start banner says whether owner alerts are on and whether this process delivers, and never
// shows the SMTP password.
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

  it('says nothing about delivery when the web process sends, as by default', () => {
    expect(banner({})).not.toContain('Delivery')
  })

  it('says a worker or the cron line must send when QSM_WEB_DELIVERY is false', () => {
    const out = banner({ QSM_WEB_DELIVERY: 'false' })
    expect(out).toContain('Delivery     not from this process (QSM_WEB_DELIVERY=false): run `npx qsm-webhooks worker`')
    expect(out).toContain('Cron line for your host')
  })
})
