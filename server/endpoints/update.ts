// PATCH /v1/webhooks/:id: change any of url, description, event_types, is_active, secret, headers.
import type { Deps } from '../deps.js'
import type { EndpointRow, EndpointUpdate } from '../db/schema.js'
import { notFound } from '../http/errors.js'
import { checkEndpointUrl } from './url-rules.js'
import { sealHeaders } from './custom-headers.js'
import { findEndpoint, normalisePatterns } from './queries.js'
import { applySecretChange, secretChange } from './secret.js'
import type { UpdateEndpointInput } from './schemas.js'
import { autocommitWrites } from '../db/write-first.js'
import { bumpEndpoint } from './versions.js'

export async function updateEndpoint(deps: Deps, userId: string, id: string, input: UpdateEndpointInput): Promise<EndpointRow> {
  const { config, db, clock } = deps
  const row = await findEndpoint(db.db, userId, id)
  if (!row) throw notFound('Webhook endpoint')
  const now = clock.now()

  const changes: EndpointUpdate = {}
  if (input.url !== undefined) changes.url = await checkEndpointUrl(input.url, config.allowPrivateTargets, deps.dns, userId)
  if (input.description !== undefined) changes.description = input.description
  if (input.rate_limit !== undefined) Object.assign(changes, { rate_limit_per: input.rate_limit?.per ?? null, rate_limit_max: input.rate_limit?.max ?? null })
  if (input.event_types !== undefined) changes.event_types = normalisePatterns(input.event_types)
  if (input.headers !== undefined) changes.custom_headers = sealHeaders(input.headers, config.appKey)
  if (input.is_active === false && Number(row.is_active) === 1) Object.assign(changes, { is_active: 0, disabled_at: now })
  if (input.is_active === true && Number(row.is_active) !== 1) {
    // Turning it back on is the user saying "try again": forget why the system stopped it and
    // restart the failure streak, or the next failure would disable it again at once.
    // alert_state stays: the owner was told it broke, so it shows as recovering until a success.
    Object.assign(changes, { is_active: 1, disabled_reason: null, disabled_at: null, failing_since: null, consecutive_failures: 0 })
  }
  // (A user pausing an endpoint the system already disabled keeps the reason on show.)

  if (input.secret !== undefined) {
    await autocommitWrites(db, (q) => applySecretChange(q, row, secretChange(row, input.secret!, config.appKey, now, config.rotationGraceMs), now, changes))
  } else if (Object.keys(changes).length > 0) {
    await autocommitWrites(db, (q) => q.updateTable('endpoints').set({ ...changes, updated_at: now }).where('id', '=', id).where('user_id', '=', userId).execute())
  }
  bumpEndpoint(id)
  const updated = await findEndpoint(db.db, userId, id)
  if (!updated) throw notFound('Webhook endpoint')
  return updated
}
