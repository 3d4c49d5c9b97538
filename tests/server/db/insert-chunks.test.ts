// Multi-row INSERTs cut so that SQLite's statement cache keeps them: a few sizes shared by every batch.
import { describe, expect, it } from 'vitest'
import { insertChunks } from '../../../server/db/insert-chunks.js'
import { MAX_PLACEHOLDERS_CACHED } from '../../../server/db/sqlite-statements.js'

const rows = (n: number) => Array.from({ length: n }, (_, i) => i)
const sizes = (parts: number[][]) => parts.map((p) => p.length)

describe('insert chunks', () => {
  it('cuts 77 rows on SQLite as 64 + 8 + 4 + 1, in order', () => {
    const parts = insertChunks({ kind: 'sqlite' }, rows(77), 15, 500)
    expect(sizes(parts)).toEqual([64, 8, 4, 1])
    expect(parts.flat()).toEqual(rows(77))
  })

  it('never makes a SQLite statement too large for the cache to keep', () => {
    const parts = insertChunks({ kind: 'sqlite' }, rows(1_000), 15, 500)
    expect(Math.max(...sizes(parts)) * 15 + 1).toBeLessThanOrEqual(MAX_PLACEHOLDERS_CACHED)
    expect(sizes(parts)).toEqual([128, 128, 128, 128, 128, 128, 128, 64, 32, 8])
    expect(parts.flat()).toEqual(rows(1_000))
  })

  it('uses as few statements as allowed on MySQL, where each is a round trip', () => {
    expect(sizes(insertChunks({ kind: 'mysql' }, rows(1_077), 15, 500))).toEqual([500, 500, 77])
  })

  it('makes no statement for no rows', () => {
    expect(insertChunks({ kind: 'sqlite' }, [], 15, 500)).toEqual([])
    expect(insertChunks({ kind: 'mysql' }, [], 15, 500)).toEqual([])
  })
})
