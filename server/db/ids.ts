// Time-ordered ids minted in the app, so a batch insert can link events and deliveries without
// reading back auto-increment values (MySQL has no RETURNING). 48-bit ms time + 80 random bits,
// Crockford base32, like a ULID: ids sort by creation time.
import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

function ulid(now: number = Date.now()): string {
  let time = ''
  let t = now
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time
    t = Math.floor(t / 32)
  }
  const bytes = randomBytes(16)
  let rand = ''
  for (let i = 0; i < 16; i++) rand += ALPHABET[bytes[i]! % 32]
  return time + rand
}

export const newId = (prefix: 'wh' | 'evt' | 'dlv' | 'key', now?: number) => `${prefix}_${ulid(now)}`
