// Endpoint signing secrets: minting, checking user-supplied ones, and encryption at rest.
// Secrets are stored only as AES-256-GCM ciphertext under a key derived from QSM_APP_KEY, so a
// copied database (backup, dump, shared-host snapshot) does not hand out the signing secrets.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { SECRET_PREFIX } from '../signing/sign.js'

/** Bytes of randomness in a generated secret (Standard Webhooks uses 24–64; 32 matches HMAC-SHA256). */
export const SECRET_BYTES = 32
/** Upper bound for a supplied secret, so its ciphertext fits the varchar(300) columns. */
export const MAX_SECRET_BYTES = 64

const ENC_VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
// HKDF "info": binds the derived key to this one use, so QSM_APP_KEY can feed other keys later
// without any two of them ever being the same.
const KEY_LABEL = 'qsm-webhooks endpoint secret encryption v1'
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64')
}

/** Null when `secret` is acceptable as a signing secret; otherwise the problem in plain words. */
export function validateSuppliedSecret(secret: string): string | null {
  if (!secret.startsWith(SECRET_PREFIX)) {
    return `must start with "${SECRET_PREFIX}" followed by base64 of at least ${SECRET_BYTES} random bytes (leave it out and we generate one)`
  }
  const b64 = secret.slice(SECRET_PREFIX.length)
  // Buffer.from(…, 'base64') silently skips bad characters, so check the alphabet first.
  if (b64.length === 0 || !BASE64.test(b64)) {
    return `the part after "${SECRET_PREFIX}" must be standard base64 (A–Z, a–z, 0–9, +, /, = padding)`
  }
  const bytes = Buffer.from(b64, 'base64').length
  if (bytes < SECRET_BYTES) return `is too weak: it decodes to ${bytes} bytes; use at least ${SECRET_BYTES} random bytes`
  if (bytes > MAX_SECRET_BYTES) return `is too long: it decodes to ${bytes} bytes; use at most ${MAX_SECRET_BYTES}`
  return null
}

const derived = new Map<string, Buffer>()

function encryptionKey(appKey: string): Buffer {
  let key = derived.get(appKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', Buffer.from(appKey, 'utf8'), Buffer.alloc(0), KEY_LABEL, 32))
    // One app key per process in practice; the bound only keeps tests with many keys in check.
    if (derived.size > 16) derived.clear()
    derived.set(appKey, key)
  }
  return key
}

/** "v1:<iv>:<tag>:<ciphertext>", each part base64. */
export function encryptSecret(plain: string, appKey: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(appKey), iv)
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [ENC_VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':')
}

export class SecretDecryptError extends Error {
  override name = 'SecretDecryptError'
}

/** Throws SecretDecryptError when the text was altered or QSM_APP_KEY is not the one it was sealed with. */
export function decryptSecret(enc: string, appKey: string): string {
  const parts = enc.split(':')
  if (parts.length !== 4 || parts[0] !== ENC_VERSION) throw new SecretDecryptError('The stored secret is not in the expected encrypted format')
  const [, ivText, tagText, dataText] = parts as [string, string, string, string]
  const iv = Buffer.from(ivText, 'base64')
  const tag = Buffer.from(tagText, 'base64')
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptError('The stored secret is not in the expected encrypted format')
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey(appKey), iv, { authTagLength: TAG_BYTES })
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(Buffer.from(dataText, 'base64')), decipher.final()]).toString('utf8')
  } catch {
    throw new SecretDecryptError('The stored secret could not be decrypted: it was altered, or QSM_APP_KEY changed since it was saved')
  }
}
