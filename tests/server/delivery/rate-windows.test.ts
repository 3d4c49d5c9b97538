import { describe, expect, it } from 'vitest'
import { RateWindows } from '../../../server/delivery/rate-windows.js'
import { SendLimiter } from '../../../server/delivery/limiter.js'

describe('per-endpoint rate windows', () => {
  const twoPerSecond = { per: 'second' as const, max: 2 }

  it('lets two starts a second through, then says how long the third must wait', () => {
    const w = new RateWindows()
    w.record('ep_1', twoPerSecond, 10_000)
    expect(w.waitMs('ep_1', twoPerSecond, 10_100)).toBe(0)
    w.record('ep_1', twoPerSecond, 10_200)
    expect(w.waitMs('ep_1', twoPerSecond, 10_300)).toBe(700)
    expect(w.limited(10_300)).toEqual(['ep_1'])
  })

  it('frees the endpoint once its oldest start leaves the window', () => {
    const w = new RateWindows()
    w.record('ep_1', twoPerSecond, 10_000)
    w.record('ep_1', twoPerSecond, 10_200)
    expect(w.waitMs('ep_1', twoPerSecond, 11_000)).toBe(0)
    expect(w.limited(11_300)).toEqual([])
  })

  it('counts a per-minute limit over sixty seconds, and endpoints separately', () => {
    const w = new RateWindows()
    const onePerMinute = { per: 'minute' as const, max: 1 }
    w.record('ep_1', onePerMinute, 0)
    expect(w.waitMs('ep_1', onePerMinute, 30_000)).toBe(30_000)
    expect(w.waitMs('ep_2', onePerMinute, 30_000)).toBe(0)
    expect(w.waitMs('ep_1', onePerMinute, 60_000)).toBe(0)
  })

  it('holds back the limiter: a rate-limited endpoint cannot start with slots free', () => {
    const limiter = new SendLimiter(4, 2, 2)
    const a = limiter.start('user_1', 'ep_1', { per: 'second', max: 1 }, 5_000)
    limiter.finish(a)
    expect(limiter.canStart('user_1', 'ep_1', { per: 'second', max: 1 }, 5_500)).toBe(false)
    expect(limiter.rateLimitedEndpoints(5_500)).toEqual(['ep_1'])
    expect(limiter.canStart('user_1', 'ep_1', { per: 'second', max: 1 }, 6_000)).toBe(true)
  })
})
