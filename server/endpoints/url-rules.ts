// The rules an endpoint URL must pass before it is saved. The zod schema has already checked that
// it is a string of sane length; these need the server's policy (and DNS), so they run in the
// handler. The sender checks the address again at connect time: DNS can change after saving.
import { ApiError } from '../http/errors.js'
import { BlockedTargetError, DnsLookupError, resolveTarget, type Resolver } from '../net/address-policy.js'

/** A 422 validation_failed about one field, in the same shape validationError() produces. */
export function fieldError(path: string, message: string): ApiError {
  return new ApiError('validation_failed', `${path}: ${message}`, [{ path, message }])
}

const HTTPS_ONLY = 'must use https (http is allowed only when QSM_ALLOW_PRIVATE_TARGETS=true)'

/** Returns the URL in its canonical form (as the sender will request it), or throws a 422. */
export async function checkEndpointUrl(raw: string, allowPrivateTargets: boolean, resolve?: Resolver, tenant?: string): Promise<string> {
  // The URL parser silently drops tabs and newlines and trims spaces; refuse them instead, so
  // the saved URL is exactly what the user typed (apart from canonical form).
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) throw fieldError('url', 'must not contain spaces or control characters')
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw fieldError('url', 'must be an absolute URL such as https://example.com/webhooks/qsm')
  }
  if (parsed.protocol === 'http:') {
    if (!allowPrivateTargets) throw fieldError('url', HTTPS_ONLY)
  } else if (parsed.protocol !== 'https:') {
    throw fieldError('url', allowPrivateTargets ? 'must use https or http' : HTTPS_ONLY)
  }
  if (parsed.username || parsed.password || /^[a-z]+:\/\/[^/?#]*@/i.test(raw)) {
    throw fieldError('url', 'must not contain a user name or password; have your receiver check the X-QSM-Signature header instead')
  }
  // A fragment is never sent over HTTP, so a URL with one is not the URL that would be called.
  if (raw.includes('#')) throw fieldError('url', 'must not contain a #fragment (fragments are never sent to the server)')
  if (parsed.href.length > 2048) throw fieldError('url', 'must be at most 2048 characters')

  // Mail (25), SSH (22) and the like are reachable by a signed POST too; keep endpoints to web
  // ports. An empty port is the scheme's default (80 or 443).
  if (!allowPrivateTargets && parsed.port !== '' && !allowedPort(Number(parsed.port))) {
    throw fieldError('url', 'must use port 80, 443 or 1024-65535')
  }
  if (!allowPrivateTargets) {
    try {
      await resolveTarget(parsed.hostname, false, resolve, tenant)
    } catch (err) {
      if (err instanceof BlockedTargetError || err instanceof DnsLookupError) throw fieldError('url', err.message)
      throw err
    }
  }
  return parsed.href
}

function allowedPort(port: number): boolean {
  return port === 80 || port === 443 || (port >= 1024 && port <= 65535)
}
