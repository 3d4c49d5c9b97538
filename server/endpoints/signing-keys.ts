// The keys that sign a delivery right now: the current secret, plus the previous one while its
// rotation grace lasts, so receivers that still hold the old secret keep verifying. The delivery
// engine needs them for every attempt; key ids go into X-QSM-Key-Id.
//
// Decrypting a secret costs an AES-GCM decipher (~7 µs; more in a busy process), so a caller that
// signs many deliveries with one read of the endpoint opens the keys once (openSigningKeys) and
// picks the ones in force at each send (keysAt): the grace can end between two sends of one read.
import type { EndpointRow } from '../db/schema.js'
import { decryptSecret } from '../crypto/secrets.js'
import { secretKey } from '../signing/sign.js'

type Key = { keyId: string; key: Buffer }

/** An endpoint row's keys, decrypted: the current one, and the previous one with the end of its grace. */
export interface OpenedKeys {
  current: Key
  previous: (Key & { expiresAt: number }) | null
}

type KeyColumns = Pick<EndpointRow, 'secret_key_id' | 'secret_enc' | 'previous_secret_enc' | 'previous_key_id' | 'previous_expires_at'>

/**
 * Decrypts the keys. A previous key whose grace has already ended at `nowMs` is left closed (its
 * stored text is not even read), so nothing later can bring it back.
 */
export function openSigningKeys(endpoint: KeyColumns, appKey: string, nowMs: number): OpenedKeys {
  const current = { keyId: endpoint.secret_key_id, key: secretKey(decryptSecret(endpoint.secret_enc, appKey)) }
  const expiresAt = endpoint.previous_expires_at === null ? null : Number(endpoint.previous_expires_at)
  if (endpoint.previous_secret_enc && endpoint.previous_key_id && expiresAt !== null && expiresAt > nowMs) {
    return { current, previous: { keyId: endpoint.previous_key_id, key: secretKey(decryptSecret(endpoint.previous_secret_enc, appKey)), expiresAt } }
  }
  return { current, previous: null }
}

/** The opened keys in force at nowMs. */
export function keysAt(opened: OpenedKeys, nowMs: number): Key[] {
  const { current, previous } = opened
  return previous && previous.expiresAt > nowMs ? [current, { keyId: previous.keyId, key: previous.key }] : [current]
}

export function activeSigningKeys(endpoint: KeyColumns, appKey: string, nowMs: number): Key[] {
  return keysAt(openSigningKeys(endpoint, appKey, nowMs), nowMs)
}
