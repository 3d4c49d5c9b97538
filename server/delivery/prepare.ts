// Turns claims into ready-to-send jobs: the endpoint's URL, signing keys and custom headers and the event's stored
// payload bytes. Claims that cannot be sent (endpoint deleted or turned off, payload purged) are
// finished right away without a request.
import type { Db } from '../db/connect.js'
import type { Config } from '../config/schema.js'
import type { EndpointRow } from '../db/schema.js'
import { keysAt, openSigningKeys, type OpenedKeys } from '../endpoints/signing-keys.js'
import { openHeaders } from '../endpoints/custom-headers.js'
import type { SigningKey } from '../signing/headers.js'
import type { Claim } from './claim.js'
import { notSent, type Finish } from './outcome.js'
import { endpointVersion } from '../endpoints/versions.js'
import type { RateLimit } from './rate-windows.js'

export interface Job {
  claim: Claim
  url: string
  /** The stored payload: signed and sent exactly as stored, never re-serialised. */
  body: string
  keys: SigningKey[]
  /** The endpoint's custom headers, decrypted. */
  customHeaders: Record<string, string>
  /** The endpoint's optional rate limit, as read with the URL and keys. */
  rate: RateLimit | null
  /** endpointVersion() when the endpoint was read, and when (clock ms): see endpoint-guard.ts. */
  version: number
  readAt: number
}

export function rateLimitOf(endpoint: Pick<EndpointRow, 'rate_limit_per' | 'rate_limit_max'>): RateLimit | null {
  const max = endpoint.rate_limit_max === null || endpoint.rate_limit_max === undefined ? 0 : Number(endpoint.rate_limit_max)
  if (max < 1 || (endpoint.rate_limit_per !== 'second' && endpoint.rate_limit_per !== 'minute')) return null
  return { per: endpoint.rate_limit_per, max }
}

export function offReason(endpoint: Pick<EndpointRow, 'disabled_reason'>): string {
  return endpoint.disabled_reason ? `Endpoint is disabled: ${endpoint.disabled_reason}` : 'Endpoint is paused'
}

/** An endpoint's signing keys and custom headers, decrypted (the keys in force are picked per send: keysAt). */
export interface OpenedEndpoint {
  keys: OpenedKeys
  headers: Record<string, string>
}

/** Why a job of an endpoint whose secrets cannot be opened is finished unsent. */
export const UNREADABLE_SECRETS = "The endpoint's secret or custom headers cannot be decrypted (was QSM_APP_KEY changed?)"

/** Decrypts the endpoint's keys and custom headers; null when they cannot be (see UNREADABLE_SECRETS). */
export function openEndpoint(endpoint: EndpointRow, appKey: string, nowMs: number): OpenedEndpoint | null {
  try {
    return { keys: openSigningKeys(endpoint, appKey, nowMs), headers: openHeaders(endpoint.custom_headers, appKey) }
  } catch {
    return null
  }
}

export async function prepareJobs(db: Db, claims: readonly Claim[], config: Config, nowMs: number): Promise<{ jobs: Job[]; unsendable: Finish[] }> {
  const jobs: Job[] = []
  const unsendable: Finish[] = []
  if (claims.length === 0) return { jobs, unsendable }
  // Versions noted before the read: a write that lands during it bumps past them (a re-read later).
  const readAt = Date.now()
  const versions = new Map(claims.map((c) => [c.endpoint_id, endpointVersion(c.endpoint_id)]))
  const [endpoints, events] = await Promise.all([
    db.db.selectFrom('endpoints').selectAll().where('id', 'in', [...new Set(claims.map((c) => c.endpoint_id))]).execute(),
    db.db.selectFrom('events').select(['id', 'payload']).where('id', 'in', [...new Set(claims.map((c) => c.event_id))]).execute(),
  ])
  const endpointById = new Map(endpoints.map((e) => [e.id, e]))
  const payloadById = new Map(events.map((e) => [e.id, e.payload]))
  // Decrypting secrets costs an AES-GCM decipher each; do it once per endpoint per batch.
  const openedById = new Map<string, OpenedEndpoint | null>()
  for (const claim of claims) {
    const endpoint = endpointById.get(claim.endpoint_id)
    const payload = payloadById.get(claim.event_id)
    if (!endpoint) { unsendable.push(notSent(claim, 'Endpoint deleted')); continue }
    if (Number(endpoint.is_active) !== 1) { unsendable.push(notSent(claim, offReason(endpoint))); continue }
    if (payload === null || payload === undefined) { unsendable.push(notSent(claim, 'Payload expired')); continue }
    let opened = openedById.get(endpoint.id)
    if (opened === undefined) {
      opened = openEndpoint(endpoint, config.appKey, nowMs)
      openedById.set(endpoint.id, opened)
    }
    if (!opened) { unsendable.push(notSent(claim, UNREADABLE_SECRETS)); continue }
    jobs.push({
      claim, url: endpoint.url, body: payload, keys: keysAt(opened.keys, nowMs), customHeaders: opened.headers,
      rate: rateLimitOf(endpoint), version: versions.get(endpoint.id)!, readAt,
    })
  }
  return { jobs, unsendable }
}
