// The start banner: where the service is, the cron line to paste, how to sign in.
import type { Config } from '../config/schema.js'
import { formatDuration } from '../config/duration.js'
import { describeSmtpUrl } from '../alerts/transport.js'

export function printBanner(opts: { config: Config; port: number; wroteEnv: boolean; dbVersion: string; write?: (s: string) => void }): void {
  const { config, port, wroteEnv, dbVersion } = opts
  const base = config.publicUrl.replace(/:\d+$/, (m) => (m === `:${config.port}` ? `:${port}` : m))
  const out = opts.write ?? ((s: string) => process.stdout.write(s))
  const lines = [
    '',
    '  QSM Webhooks is running',
    '',
    `  API          ${base}/v1`,
    `  Dashboard    ${config.dashboardUrl.replace(`:${config.port}/`, `:${port}/`)}`,
    `  Health       ${base}/healthz`,
    `  Database     ${dbVersion} (${config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl.slice(7) : 'MySQL'})`,
    `  Retries      ${config.retryScheduleMs.map(formatDuration).join(', ')} (${config.maxAttempts} attempts)`,
    config.smtpUrl
      ? `  Alerts       e-mail via ${describeSmtpUrl(config.smtpUrl)}, from ${config.alertFrom}`
      : '  Alerts       off: set QSM_SMTP_URL to e-mail owners when an endpoint fails',
    '',
    '  Cron line for your host (every 1-15 minutes):',
    `    curl -fsS --max-time ${config.tickBudgetSeconds + 30} "${base}/tick?token=${config.cronToken.slice(0, 4)}…"`,
    '    npx qsm-webhooks cron-line           prints it with the full token (QSM_CRON_TOKEN in .env)',
    '',
    '  Sign in to the dashboard:',
    '    npx qsm-webhooks token <user-id>     prints a one-hour sign-in link',
    '',
  ]
  if (wroteEnv) lines.push('  First start: wrote .env with fresh random secrets. Keep it private and back it up.', '')
  out(lines.join('\n') + '\n')
}
