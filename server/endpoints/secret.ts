// Reading and replacing an endpoint's signing secret. A replacement never breaks deliveries in
// flight: the old secret moves to previous_* and keeps signing (next to the new one) until
// previous_expires_at, so receivers can switch over at their own pace.
import { bumpEndpoint } from './versions.js'
import type { Kysely } from 'kysely'
import type { Database, EndpointRow, EndpointUpdate } from '../db/schema.js'
import { decryptSecret, encryptSecret, SecretDecryptError } from '../crypto/secrets.js'
import { newId } from '../db/ids.js'
import { ApiError, notFound } from '../http/errors.js'
import { findEndpoint } from './queries.js'

/** The plain current secret. A row sealed under another QSM_APP_KEY cannot be shown, only replaced. */
export function revealSecret(row: EndpointRow, appKey: string): { secret: string; key_id: string } {
  try {
    return { secret: decryptSecret(row.secret_enc, appKey), key_id: row.secret_key_id }
  } catch (err) {
    if (err instanceof SecretDecryptError) {
      throw new ApiError('internal_error', 'This secret cannot be read with the current QSM_APP_KEY; rotate the secret to get a new one')
    }
    throw err
  }
}

/**
 * The column changes that make `newSecret` current and keep the old one for `graceMs`. An old
 * secret that no longer decrypts (QSM_APP_KEY changed) is dropped rather than kept: it could not
 * sign anything and would only make every delivery fail during the grace.
 */
export function secretChange(row: EndpointRow, newSecret: string, appKey: string, nowMs: number, graceMs: number): EndpointUpdate {
  let keepOld = graceMs > 0
  if (keepOld) {
    try {
      decryptSecret(row.secret_enc, appKey)
    } catch {
      keepOld = false
    }
  }
  return {
    secret_enc: encryptSecret(newSecret, appKey),
    secret_key_id: newId('key', nowMs),
    previous_secret_enc: keepOld ? row.secret_enc : null,
    previous_key_id: keepOld ? row.secret_key_id : null,
    previous_expires_at: keepOld ? nowMs + graceMs : null,
  }
}

/**
 * Saves a secret change only if the secret is still the one `row` had, so two rotations at the same
 * moment cannot both report success while one of their secrets is silently lost.
 */
export async function applySecretChange(db: Kysely<Database>, row: EndpointRow, change: EndpointUpdate, nowMs: number, extra: EndpointUpdate = {}): Promise<void> {
  const result = await db
    .updateTable('endpoints')
    .set({ ...extra, ...change, updated_at: nowMs })
    .where('id', '=', row.id)
    .where('user_id', '=', row.user_id)
    .where('secret_key_id', '=', row.secret_key_id)
    .executeTakeFirst()
  bumpEndpoint(row.id)
  if (Number(result.numUpdatedRows) > 0) return
  if (!(await findEndpoint(db, row.user_id, row.id))) throw notFound('Webhook endpoint')
  throw new ApiError('conflict', 'The secret was changed by another request at the same moment; load the endpoint again and retry')
}
