// POST /v1/webhooks: validate, enforce the per-user cap, mint or accept the secret, insert.
import type { Deps } from '../deps.js'
import type { EndpointRow } from '../db/schema.js'
import { ApiError } from '../http/errors.js'
import { newId } from '../db/ids.js'
import { writeTransaction } from '../db/write-first.js'
import { encryptSecret, generateSecret } from '../crypto/secrets.js'
import { checkEndpointUrl } from './url-rules.js'
import { bumpEndpoint } from './versions.js'
import { sealHeaders } from './custom-headers.js'
import { normalisePatterns } from './queries.js'
import type { CreateEndpointInput } from './schemas.js'

export async function createEndpoint(deps: Deps, userId: string, input: CreateEndpointInput): Promise<{ row: EndpointRow; secret: string }> {
  const { config, db, clock } = deps
  const url = await checkEndpointUrl(input.url, config.allowPrivateTargets, deps.dns, userId)
  const secret = input.secret ?? generateSecret()
  const now = clock.now()
  const row: EndpointRow = {
    id: newId('wh', now),
    user_id: userId,
    url,
    description: input.description ?? '',
    event_types: normalisePatterns(input.event_types),
    is_active: input.is_active === false ? 0 : 1,
    disabled_reason: null,
    disabled_at: null,
    secret_enc: encryptSecret(secret, config.appKey),
    secret_key_id: newId('key', now),
    previous_secret_enc: null,
    previous_key_id: null,
    previous_expires_at: null,
    failing_since: null,
    rate_limit_per: input.rate_limit?.per ?? null,
    rate_limit_max: input.rate_limit?.max ?? null,
    custom_headers: input.headers ? sealHeaders(input.headers, config.appKey) : null,
    consecutive_failures: 0,
    last_failure_at: null,
    last_failure_error: null,
    alert_state: 'healthy',
    created_at: now,
    updated_at: now,
  }

  // On MySQL, lock the user's rows so two creates at once cannot both pass the cap. SQLite has no
  // FOR UPDATE: writeTransaction takes its write lock before the count, so no other process can
  // insert between the count and the insert, or fail this one with SQLITE_BUSY_SNAPSHOT.
  await writeTransaction(db, async (trx) => {
    let existing = trx.selectFrom('endpoints').select('id').where('user_id', '=', userId)
    if (db.caps.kind === 'mysql') existing = existing.forUpdate()
    const count = (await existing.execute()).length
    if (count >= config.maxEndpointsPerUser) {
      throw new ApiError(
        'limit_reached',
        `You already have ${count} webhook endpoints, the most allowed per account (${config.maxEndpointsPerUser}); delete one before adding another`,
        { limit: config.maxEndpointsPerUser },
      )
    }
    await trx.insertInto('endpoints').values(row).execute()
  })
  // Ingest caches each user's active endpoints (delivery/enqueue.ts): a new one counts at once here.
  bumpEndpoint(row.id)
  return { row, secret }
}
