// The dashboard's "Send test event": a webhook.test event and its delivery row, sent now through
// the same sender, address checks and signing as real deliveries, with the outcome explained.
// It works on a paused or disabled endpoint too (that is how a user checks a fix before turning
// it back on), is never retried, and never counts toward the endpoint's failure streak.
// It takes a slot of the process's limiter like any delivery (global, per user, per endpoint): a
// test waits up to TEST_SLOT_WAIT_MS for one and says how long it waited, or is refused with 429.
import type { Deps } from '../deps.js'
import type { EndpointRow } from '../db/schema.js'
import { newId } from '../db/ids.js'
import { buildDeliveryHeaders } from '../signing/headers.js'
import { activeSigningKeys } from '../endpoints/signing-keys.js'
import { openHeaders, withCustomHeaders } from '../endpoints/custom-headers.js'
import { leaseMsFor, type Claim } from '../delivery/claim.js'
import { finishDeliveries } from '../delivery/complete.js'
import { insertTestDelivery } from '../delivery/test-delivery.js'
import { afterSend } from '../delivery/outcome.js'
import { newOwnerId } from '../delivery/runner.js'
import { hintFor } from './hints.js'
import type { ErrorClass } from '../delivery/types.js'
import { ApiError } from '../http/errors.js'

/** How long a test send waits for a free delivery slot before it is refused. */
export const TEST_SLOT_WAIT_MS = 5_000

export const TEST_NOTE = 'A test event sent from the QSM Webhooks dashboard.'

export interface TestSendAnswer {
  ok: boolean
  status_code: number | null
  duration_ms: number
  error_class: ErrorClass | null
  error: string | null
  hint: string | null
  response_excerpt: string
  headers_sent: Record<string, string>
  event_id: string
  delivery_id: string
  /** How long the test waited for a free delivery slot before it was sent. */
  waited_ms: number
}

export async function sendTestEvent(deps: Deps, endpoint: EndpointRow, actorId: string): Promise<TestSendAnswer> {
  const { db, config, clock, limiter } = deps
  const waitStart = Date.now()
  const slot = await limiter.acquire(endpoint.user_id, endpoint.id, TEST_SLOT_WAIT_MS)
  if (!slot) {
    const seconds = Math.ceil(TEST_SLOT_WAIT_MS / 1000)
    throw new ApiError(
      'rate_limited',
      `Not sent: your account already has ${limiter.userBusy(endpoint.user_id)} deliveries in flight (at most ${limiter.perUser} at once, ${limiter.perEndpoint} per endpoint) and no slot freed within ${seconds} s; try again when they finish`,
      { in_flight: limiter.userBusy(endpoint.user_id), per_user: limiter.perUser, per_endpoint: limiter.perEndpoint },
      { 'Retry-After': String(seconds) },
    )
  }
  const waitedMs = Date.now() - waitStart
  try {
    return await sendHoldingSlot(deps, endpoint, actorId, waitedMs)
  } finally {
    limiter.finish(slot)
  }
}

async function sendHoldingSlot(deps: Deps, endpoint: EndpointRow, actorId: string, waitedMs: number): Promise<TestSendAnswer> {
  const { db, config, clock } = deps
  const now = clock.now()
  const eventId = newId('evt', now)
  const body = JSON.stringify({
    id: eventId, type: 'webhook.test', schema_version: 1, occurred_at: new Date(now).toISOString(), user_id: endpoint.user_id,
    actor: { type: 'user', id: actorId }, data: { endpoint_id: endpoint.id, note: TEST_NOTE },
  })
  // The row is created already leased by this request, so no runner picks it up meanwhile.
  const claim: Claim = {
    id: newId('dlv', now), event_id: eventId, endpoint_id: endpoint.id, user_id: endpoint.user_id, event_type: 'webhook.test',
    attempts: 0, owner: `test:${newOwnerId()}`.slice(0, 80), leaseUntil: now + leaseMsFor(config.deliveryTimeoutMs), trigger: 'scheduled',
    manualAttempts: 0, resumeAt: null,
  }
  await insertTestDelivery(db, claim, body, now)

  const startedAt = clock.now()
  const signed = buildDeliveryHeaders({ eventId, eventType: 'webhook.test', body, keys: activeSigningKeys(endpoint, config.appKey, startedAt), nowMs: startedAt })
  const headers = withCustomHeaders(signed, openHeaders(endpoint.custom_headers, config.appKey))
  const result = await deps.sender.send({ url: endpoint.url, headers: headers.send, body, timeoutMs: config.deliveryTimeoutMs, tenant: endpoint.user_id })
  await finishDeliveries(db, [afterSend(claim, result, startedAt, clock.now(), config, deps.random, 'test', headers.logged)], clock.now())

  return {
    ok: result.ok,
    status_code: result.statusCode,
    duration_ms: result.durationMs,
    error_class: result.errorClass,
    error: result.error,
    hint: hintFor(result),
    response_excerpt: result.responseExcerpt,
    headers_sent: headers.logged,
    event_id: eventId,
    delivery_id: claim.id,
    waited_ms: waitedMs,
  }
}
