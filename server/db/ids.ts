// Time-ordered ids minted in the app, so a batch insert can link events and deliveries without
// reading back auto-increment values (MySQL has no RETURNING). 48-bit ms time + 80 random bits,
// Crockford base32, like a ULID: ids sort by creation time.
import { randomFillSync } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const RANDOM_CHARS = 16

// Random bytes are drawn 4 KiB at a time and used up 16 per id. One randomBytes(16) call per id
// cost ~6 µs (a call into OpenSSL each time), and ingest mints one id per delivery: three or more
// per event. From the pool an id costs well under 1 µs. The bytes come from the same CSPRNG and
// each is used once, so the ids are as unpredictable as before (crypto.randomUUID pools the same way).
const pool = Buffer.alloc(4096)
let poolAt = pool.length

function randomChars(): string {
  if (poolAt + RANDOM_CHARS > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  let out = ''
  for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[pool[poolAt + i]! & 31]
  poolAt += RANDOM_CHARS
  return out
}

// Many ids are minted in the same millisecond (a batch's deliveries), so the time part is kept.
let lastTime = -1
let lastTimeChars = ''

function timeChars(now: number): string {
  if (now !== lastTime) {
    let time = ''
    let t = now
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32]! + time
      t = Math.floor(t / 32)
    }
    lastTime = now
    lastTimeChars = time
  }
  return lastTimeChars
}

function ulid(now: number = Date.now()): string {
  return timeChars(now) + randomChars()
}

export const newId = (prefix: 'wh' | 'evt' | 'dlv' | 'key' | 'mail', now?: number) => `${prefix}_${ulid(now)}`
