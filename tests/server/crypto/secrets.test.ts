import { describe, expect, it } from 'vitest'
import { decryptSecret, encryptSecret, generateSecret, SecretDecryptError, validateSuppliedSecret } from '../../../server/crypto/secrets.js'
import { secretKey } from '../../../server/signing/sign.js'

const APP_KEY = 'base64:' + Buffer.alloc(32, 7).toString('base64')
const OTHER_KEY = 'base64:' + Buffer.alloc(32, 8).toString('base64')

describe('endpoint secrets', () => {
  it('generates whsec_ secrets carrying 32 random bytes, different every time', () => {
    const a = generateSecret()
    const b = generateSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(secretKey(a)).toHaveLength(32)
    expect(a).not.toBe(b)
    expect(validateSuppliedSecret(a)).toBeNull()
  })

  it('accepts a supplied secret of 32 to 64 bytes and explains every refusal', () => {
    expect(validateSuppliedSecret('whsec_' + Buffer.alloc(64, 1).toString('base64'))).toBeNull()
    expect(validateSuppliedSecret('secret_' + Buffer.alloc(32, 1).toString('base64'))).toMatch(/^must start with "whsec_"/)
    expect(validateSuppliedSecret('whsec_')).toMatch(/must be standard base64/)
    expect(validateSuppliedSecret('whsec_not base64!!')).toMatch(/must be standard base64/)
    expect(validateSuppliedSecret('whsec_' + Buffer.alloc(16, 1).toString('base64'))).toBe('is too weak: it decodes to 16 bytes; use at least 32 random bytes')
    expect(validateSuppliedSecret('whsec_' + Buffer.alloc(65, 1).toString('base64'))).toBe('is too long: it decodes to 65 bytes; use at most 64')
  })

  it('encrypts and decrypts a secret back to the same text', () => {
    const secret = generateSecret()
    const enc = encryptSecret(secret, APP_KEY)
    expect(enc).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/)
    expect(decryptSecret(enc, APP_KEY)).toBe(secret)
  })

  it('never puts the plain secret, or its key bytes, into the ciphertext', () => {
    const secret = generateSecret()
    const enc = encryptSecret(secret, APP_KEY)
    expect(enc).not.toContain(secret)
    expect(enc).not.toContain(secret.slice(6))
    expect(enc).not.toContain(secret.slice(6, 20))
  })

  it('encrypts the same secret differently each time (random IV)', () => {
    const secret = generateSecret()
    expect(encryptSecret(secret, APP_KEY)).not.toBe(encryptSecret(secret, APP_KEY))
  })

  it('fits the largest accepted secret into the varchar(300) column', () => {
    expect(encryptSecret('whsec_' + Buffer.alloc(64, 1).toString('base64'), APP_KEY).length).toBeLessThanOrEqual(300)
  })

  it('detects a tampered ciphertext, tag or IV', () => {
    const enc = encryptSecret(generateSecret(), APP_KEY)
    const [v, iv, tag, data] = enc.split(':') as [string, string, string, string]
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64')
      bytes[0] = bytes[0]! ^ 1
      return bytes.toString('base64')
    }
    for (const altered of [[v, iv, tag, flip(data)], [v, iv, flip(tag), data], [v, flip(iv), tag, data]]) {
      expect(() => decryptSecret(altered.join(':'), APP_KEY)).toThrow(SecretDecryptError)
    }
    expect(() => decryptSecret('whsec_plain', APP_KEY)).toThrow(/not in the expected encrypted format/)
  })

  it('refuses to decrypt with a different app key', () => {
    const enc = encryptSecret(generateSecret(), APP_KEY)
    expect(() => decryptSecret(enc, OTHER_KEY)).toThrow(/altered, or QSM_APP_KEY changed/)
  })
})
