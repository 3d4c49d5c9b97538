// The start banner: where the service is, the cron line to paste, how to sign in.
import type { Config } from '../config/schema.js'
import { formatDuration } from '../config/duration.js'
import { describeSmtpUrl } from '../alerts/transport.js'

// Passenger (cPanel "Setup Node.js App") hands the app a socket of its own, not a TCP port, so
// the process cannot know its public address; only QSM_PUBLIC_URL can say it.
const SOCKET_NOTE = [
  '  Passenger (or another front server) owns the socket, so this process cannot know its public',
  '  address. Set QSM_PUBLIC_URL (for example https://hooks.example.com) to print it here and in',
  '  `npx qsm-webhooks cron-line`.',
]

/** The public base URL, or null when it is unknown (no QSM_PUBLIC_URL and no TCP port). */
export function publicBase(config: Config, port: number | undefined): string | null {
  if (config.publicUrlSet) return config.publicUrl
  if (typeof port !== 'number') return null
  return config.publicUrl.replace(/:\d+$/, (m) => (m === `:${config.port}` ? `:${port}` : m))
}

export function printBanner(opts: { config: Config; port: number | undefined; wroteEnv: boolean; dbVersion: string; write?: (s: string) => void }): void {
  const { config, port, wroteEnv, dbVersion } = opts
  const base = publicBase(config, port)
  const out = opts.write ?? ((s: string) => process.stdout.write(s))
  const database = `  Database     ${dbVersion} (${config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl.slice(7) : 'MySQL'})`
  const retries = `  Retries      ${config.retryScheduleMs.map(formatDuration).join(', ')} (${config.maxAttempts} attempts)\n` + (config.smtpUrl
    ? `  Alerts       e-mail via ${describeSmtpUrl(config.smtpUrl)}, from ${config.alertFrom}`
    : '  Alerts       off: set QSM_SMTP_URL to e-mail owners when an endpoint fails')
  const curl = (url: string) => `    curl -fsS --max-time ${config.tickBudgetSeconds + 30} "${url}/tick?token=${config.cronToken.slice(0, 4)}…"`
  const lines = ['', '  QSM Webhooks is running', '']
  // Said first: with it off, nothing is sent until a worker or the cron line runs.
  if (!config.webDelivery) lines.push('  Delivery     not from this process (QSM_WEB_DELIVERY=false): run `npx qsm-webhooks worker`', '               beside it, or the cron line below', '')
  if (base) {
    const dashboard = config.dashboardUrl.startsWith(config.publicUrl) && !config.publicUrlSet ? `${base}/dashboard/` : config.dashboardUrl
    lines.push(`  API          ${base}/v1`, `  Dashboard    ${dashboard}`, `  Health       ${base}/healthz`, database, retries, '')
    lines.push('  Cron line for your host (every 1-15 minutes):', curl(base))
  } else {
    lines.push(...SOCKET_NOTE, '', database, retries, '')
    lines.push('  Cron line for your host (every 1-15 minutes), with your address in place of YOUR_ADDRESS:', curl('https://YOUR_ADDRESS'))
  }
  lines.push(
    '    npx qsm-webhooks cron-line           prints it with the full token (QSM_CRON_TOKEN in .env)',
    '',
    '  Sign in to the dashboard:',
    '    npx qsm-webhooks token <user-id>     prints a one-hour sign-in link',
    '',
  )
  if (wroteEnv) lines.push('  First start: wrote .env with fresh random secrets. Keep it private and back it up.', '')
  out(lines.join('\n') + '\n')
}
