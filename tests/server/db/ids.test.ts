// Ids minted in the app: a prefix, 10 characters of millisecond time and 16 random ones, Crockford
// base32. Batches insert events and deliveries linked by these ids, and lists page by them.
import { describe, expect, it } from 'vitest'
import { newId } from '../../../server/db/ids.js'

const SHAPE = /^dlv_[0-9A-HJKMNP-TV-Z]{26}$/
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const timeOf = (id: string) => [...id.slice(4, 14)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0)

describe('ids', () => {
  it('carry the prefix, the millisecond they were minted and 16 random characters', () => {
    const id = newId('dlv', 1_764_806_400_123)
    expect(id).toMatch(SHAPE)
    expect(timeOf(id)).toBe(1_764_806_400_123)
  })

  it('never repeat, even 20,000 minted in one millisecond (several refills of the random pool)', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('dlv', 1_764_806_400_000))
    expect(new Set(ids).size).toBe(20_000)
    for (const id of ids.slice(0, 300)) expect(id).toMatch(SHAPE)
  })

  it('sort by the time they were minted', () => {
    const ids = [5, 1, 4, 2, 3].map((ms) => newId('evt', 1_764_806_400_000 + ms))
    const byTime = [...ids].sort((a, b) => timeOf(a) - timeOf(b))
    expect([...ids].sort()).toEqual(byTime)
  })

  it('use every character of the alphabet in the random part, about evenly', () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 4_000; i++) for (const c of newId('key').slice(-16)) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(32)
    // 64,000 characters over 32 letters: 2,000 each on average; a stuck or biased pool is far off.
    for (const n of counts.values()) expect(n).toBeGreaterThan(1_700)
    for (const n of counts.values()) expect(n).toBeLessThan(2_300)
  })
})
