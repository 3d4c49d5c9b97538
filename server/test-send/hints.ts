// What to do about a failed test send, in plain words. Shown under the result in the dashboard.
import type { SendResult } from '../delivery/types.js'

const FIREWALL = 'If the server runs, check the firewall port — shared hosts often allow only 80/443.'

export function hintFor(r: Pick<SendResult, 'ok' | 'statusCode' | 'errorClass'>): string | null {
  if (r.ok) return null
  const code = r.statusCode
  if (code !== null) {
    if (code >= 300 && code < 400) return 'Redirects are not followed; use the final URL (the one the redirect points to) as the endpoint URL.'
    if (code === 401 || code === 403) return "If your endpoint answered 401/403, check it verifies with this endpoint's secret (X-QSM-Key-Id names the key) and that its clock is right."
    if (code === 404) return 'Your server has nothing at this path; check the URL.'
    if (code === 410) return 'Your endpoint answered 410 Gone: for real deliveries that disables the endpoint. Answer 2xx to events you accept.'
    if (code === 429) return 'Your endpoint is rate limiting; deliveries are retried later, honouring Retry-After.'
    if (code >= 500) return 'Your endpoint had an error; its logs say why. Real deliveries are retried on the schedule.'
    return 'Your endpoint refused the request; its logs say why. Only 2xx counts as delivered.'
  }
  switch (r.errorClass) {
    case 'timeout':
      return `No answer in time. Answer 2xx as soon as the event is stored, then process it. ${FIREWALL}`
    case 'refused':
      return `Nothing accepted the connection. ${FIREWALL}`
    case 'dns':
      return 'The host name does not resolve; check its spelling and DNS records.'
    case 'tls':
      return 'The HTTPS certificate was not accepted: it must be valid for this host name, not expired, and come with its intermediate certificates.'
    case 'reset':
      return 'The connection was closed before an answer; check the server and any proxy in front of it.'
    case 'blocked':
      return 'Webhooks only go to public addresses. Use a public URL (for a local receiver, a tunnel).'
    case 'invalid_response':
      return 'The answer was not valid HTTP; check the URL points at a web server, and http vs https.'
    default:
      return 'The request could not be sent; check the URL.'
  }
}
