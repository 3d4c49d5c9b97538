// The keys that sign a delivery right now: the current secret, plus the previous one while its
// rotation grace lasts, so receivers that still hold the old secret keep verifying. The delivery
// engine calls this for every attempt; key ids go into X-QSM-Key-Id.
import type { EndpointRow } from '../db/schema.js'
import { decryptSecret } from '../crypto/secrets.js'
import { secretKey } from '../signing/sign.js'

export function activeSigningKeys(endpoint: EndpointRow, appKey: string, nowMs: number): { keyId: string; key: Buffer }[] {
  const keys = [{ keyId: endpoint.secret_key_id, key: secretKey(decryptSecret(endpoint.secret_enc, appKey)) }]
  const expiresAt = endpoint.previous_expires_at === null ? null : Number(endpoint.previous_expires_at)
  if (endpoint.previous_secret_enc && endpoint.previous_key_id && expiresAt !== null && expiresAt > nowMs) {
    keys.push({ keyId: endpoint.previous_key_id, key: secretKey(decryptSecret(endpoint.previous_secret_enc, appKey)) })
  }
  return keys
}
