// The alert e-mail's words, as a pure function of the endpoint row. The endpoint is named by its
// description and host only: a URL's path or query may hold a token. Never the signing secret.
import type { EndpointRow } from '../db/schema.js'
import type { AnnouncedState } from '../delivery/health-state.js'
import { hintFor } from '../test-send/hints.js'

export type AlertKind = 'failing' | 'disabled' | 'recovered'

export const kindFor = (state: AnnouncedState): AlertKind => (state === 'healthy' ? 'recovered' : state)

export function urlHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'unknown host'
  }
}

export const endpointLink = (dashboardUrl: string, id: string) => `${dashboardUrl}#/endpoints/${encodeURIComponent(id)}`
export const alertsLink = (dashboardUrl: string) => `${dashboardUrl}#/alerts`

const utc = (ms: number | null) => (ms === null ? 'an unknown time' : new Date(Number(ms)).toISOString().slice(0, 16).replace('T', ' ') + ' UTC')

/** "HTTP 500" → a hint about a 500; other stored errors have no status code to go on. */
function hintForError(error: string | null): string | null {
  const code = /^HTTP (\d{3})\b/.exec(error ?? '')?.[1]
  return code ? hintFor({ ok: false, statusCode: Number(code), errorClass: 'http_error' }) : null
}

export interface AlertMessage {
  subject: string
  text: string
}

export function composeAlert(row: EndpointRow, kind: AlertKind, opts: { dashboardUrl: string; disableAfterMs: number }): AlertMessage {
  const host = urlHost(row.url)
  const label = row.description.trim() || host
  const link = endpointLink(opts.dashboardUrl, row.id)
  const lastError = row.last_failure_error ?? 'none recorded'
  const lines: string[] = []
  let subject: string
  if (kind === 'failing') {
    subject = `Webhook endpoint failing: ${label}`
    const since = row.failing_since === null ? null : Number(row.failing_since)
    lines.push(
      `Your webhook endpoint "${label}" (${host}) is failing: ${Number(row.consecutive_failures)} deliveries in a row have failed since ${utc(since)}.`,
      '',
      `Last error: ${lastError}`,
    )
    const hint = hintForError(row.last_failure_error)
    if (hint) lines.push(`What to do: ${hint}`)
    lines.push('', 'QSM keeps retrying on its schedule.')
    if (since !== null) lines.push(`If it still fails at ${utc(since + opts.disableAfterMs)}, QSM turns the endpoint off.`)
  } else if (kind === 'disabled') {
    subject = `Webhook endpoint turned off: ${label}`
    lines.push(
      `QSM turned off your webhook endpoint "${label}" (${host}) at ${utc(row.disabled_at === null ? null : Number(row.disabled_at))}.`,
      '',
      `Why: ${row.disabled_reason ?? 'unknown'}`,
      `Last error: ${lastError}`,
      '',
      'Nothing is sent to it until you turn it on again. When you do, the dashboard offers to redeliver what failed meanwhile.',
    )
  } else {
    subject = `Webhook endpoint working again: ${label}`
    lines.push(`Your webhook endpoint "${label}" (${host}) delivered successfully again. No action is needed.`)
  }
  lines.push('', `Open it in the dashboard: ${link}`, '', `You get this e-mail because alerts are on for your account. Change the address or turn alerts off: ${alertsLink(opts.dashboardUrl)}`)
  return { subject, text: lines.join('\n') + '\n' }
}
