// Widening `in` lists for SQLite's statement cache: the text and the parameters, against fixed vectors.
import { describe, expect, it } from 'vitest'
import { widenedLength, widenInLists, widenParams } from '../../../server/db/sqlite-in-lists.js'

const list = (n: number) => Array(n).fill('?').join(', ')

describe('widening in lists', () => {
  it('keeps lists of up to eight and widens longer ones to the next power of two', () => {
    expect([1, 8, 9, 16, 17, 100, 128, 129, 4096].map(widenedLength)).toEqual([1, 8, 16, 16, 32, 128, 128, 256, 4096])
    expect(widenedLength(4097)).toBe(4097)
  })

  it('leaves a text without a list longer than eight as it is', () => {
    expect(widenInLists('select * from t where a = ?')).toBeNull()
    expect(widenInLists(`select * from t where a in (${list(8)})`)).toBeNull()
  })

  it('widens each long list and says where its last value repeats', () => {
    const sql = `update t set a = ? where id in (${list(9)}) and b = ? and c in (${list(3)}) and d in (${list(20)}) limit ?`
    const widened = widenInLists(sql)!
    expect(widened.sql).toBe(`update t set a = ? where id in (${list(16)}) and b = ? and c in (${list(3)}) and d in (${list(32)}) limit ?`)
    expect(widened.expects).toBe(1 + 9 + 1 + 3 + 20 + 1)
    expect(widened.fills).toEqual([[9, 7], [33, 12]])
  })

  it('binds the added places to the list\'s last value and keeps every other parameter in place', () => {
    const sql = `select * from t where a = ? and id in (${list(9)}) and b = ?`
    const { fills } = widenInLists(sql)!
    const params = ['a', 1, 2, 3, 4, 5, 6, 7, 8, 9, 'b']
    expect(widenParams(params, fills)).toEqual(['a', 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9, 'b'])
  })
})
