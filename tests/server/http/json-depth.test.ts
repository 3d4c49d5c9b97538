import { describe, expect, it } from 'vitest'
import { exceedsDepth } from '../../../server/http/json-depth.js'

describe('JSON depth check', () => {
  it('lets ordinary event-sized nesting through', () => {
    expect(exceedsDepth({ data: { message: { auth: { spf: 'pass' } }, list: [[1]] } })).toBe(false)
  })

  it('flags nesting past the limit, in objects and lists alike', () => {
    expect(exceedsDepth(JSON.parse('['.repeat(33) + ']'.repeat(33)))).toBe(true)
    expect(exceedsDepth(JSON.parse('['.repeat(32) + ']'.repeat(32)))).toBe(false)
    let deep: any = {}
    for (let i = 0; i < 40; i++) deep = { a: deep }
    expect(exceedsDepth(deep)).toBe(true)
  })

  it('walks 20,000 levels without overflowing the stack', () => {
    expect(exceedsDepth(JSON.parse('['.repeat(20_000) + ']'.repeat(20_000)))).toBe(true)
  })
})
