import { describe, expect, it } from 'vitest'
import { SendLimiter, WAITING_AFTER_MS, YIELD_FLOOR } from '../../../server/delivery/limiter.js'

const lane = (afterMs: number, size: number) => ({ afterMs, size })

describe('the send limiter', () => {
  it('counts every send against the global cap until it has waited the lane time', () => {
    const limiter = new SendLimiter(2, 2, 1, lane(10_000, 8))
    limiter.start('noisy', 'hang-1')
    limiter.start('noisy', 'hang-2')
    expect(limiter.busy).toBe(2)
    expect(limiter.hasRoom()).toBe(false)
    expect(limiter.canStart('victim', 'ok-1')).toBe(false)
  })

  it('frees the global slot of a send still waiting for its answer, for other users only', async () => {
    const limiter = new SendLimiter(2, 2, 1, lane(30, 8))
    limiter.start('noisy', 'hang-1')
    limiter.start('noisy', 'hang-2')
    const t0 = performance.now()
    // The move pokes whoever waits for a slot, so a waiting runner looks again at once.
    await limiter.changed(2_000)
    expect(performance.now() - t0).toBeLessThan(1_000)
    // The second send started a moment after the first, so it may move on the next timer.
    await until(() => limiter.waiting === 2)
    expect({ busy: limiter.busy, waiting: limiter.waiting }).toEqual({ busy: 0, waiting: 2 })
    expect(limiter.canStart('victim', 'ok-1')).toBe(true)
    // Still the noisy user's two, and still each endpoint's one.
    expect(limiter.userBusy('noisy')).toBe(2)
    expect(limiter.canStart('noisy', 'hang-3')).toBe(false)
    expect(limiter.endpointBusy('hang-1')).toBe(1)
  })

  it('bounds the waiting set: once it is full, a long send keeps its global slot until one there ends', async () => {
    const limiter = new SendLimiter(2, 2, 1, lane(20, 1))
    const first = limiter.start('a', 'a-1')
    limiter.start('b', 'b-1')
    await until(() => limiter.waiting === 1)
    await new Promise((r) => setTimeout(r, 40))
    expect({ busy: limiter.busy, waiting: limiter.waiting }).toEqual({ busy: 1, waiting: 1 })
    limiter.finish(first)
    expect({ busy: limiter.busy, waiting: limiter.waiting }).toEqual({ busy: 0, waiting: 1 })
    expect(limiter.userBusy('a')).toBe(0)
    expect(limiter.userBusy('b')).toBe(1)
  })

  it('never moves a send that answers in time, and gives every slot back once', async () => {
    const limiter = new SendLimiter(4, 2, 1, lane(30, 8))
    const quick = limiter.start('u', 'e-1')
    limiter.finish(quick)
    limiter.finish(quick)
    await new Promise((r) => setTimeout(r, 60))
    expect({ busy: limiter.busy, waiting: limiter.waiting, user: limiter.userBusy('u') }).toEqual({ busy: 0, waiting: 0, user: 0 })
    const slow = limiter.start('u', 'e-1')
    await until(() => limiter.waiting === 1)
    limiter.finish(slow)
    limiter.finish(slow)
    expect({ busy: limiter.busy, waiting: limiter.waiting, user: limiter.userBusy('u') }).toEqual({ busy: 0, waiting: 0, user: 0 })
  })

  it('defaults to half a second and four times the global cap', () => {
    const limiter = new SendLimiter(4, 2, 1)
    expect(limiter.lane).toEqual({ afterMs: WAITING_AFTER_MS, size: 16 })
    expect(WAITING_AFTER_MS).toBe(500)
  })

  it('gives two global slots to each event waiting to be stored, and never goes below four', () => {
    let waiting = 0
    const limiter = new SendLimiter(64, 64, 64)
    limiter.yieldTo(() => waiting)
    expect(limiter.total).toBe(64)
    waiting = 10
    expect(limiter.total).toBe(44)
    waiting = 500
    expect(limiter.total).toBe(YIELD_FLOOR)
    for (let i = 0; i < YIELD_FLOOR; i++) limiter.start('u1', `e${i}`)
    expect(limiter.canStart('u2', 'other')).toBe(false)
    // The front door is quiet again: the configured cap is back at the next look.
    waiting = 0
    expect(limiter.canStart('u2', 'other')).toBe(true)
  })

  it('calls a user or endpoint at its cap stuck only once one of its sends has run the given time', async () => {
    const limiter = new SendLimiter(8, 2, 1, lane(10_000, 8))
    limiter.start('busy', 'busy-1')
    limiter.start('busy', 'busy-2')
    limiter.start('room', 'room-1')
    // At their caps, but every send has just started: their slots free again in a moment.
    expect(limiter.stuckUsers(40)).toEqual([])
    expect(limiter.stuckEndpoints(40)).toEqual([])
    await new Promise((r) => setTimeout(r, 60))
    expect(limiter.stuckUsers(40)).toEqual(['busy'])
    expect(limiter.stuckEndpoints(40).sort()).toEqual(['busy-1', 'busy-2', 'room-1'])
    // A user below its cap is never stuck, however old its one send.
    expect(limiter.stuckUsers(40)).not.toContain('room')
  })

  it('calls stuck a user at its cap whose one old send moved to the waiting set, beside a young one', async () => {
    const limiter = new SendLimiter(4, 2, 2, lane(30, 8))
    limiter.start('u', 'hang')
    await until(() => limiter.waiting === 1)
    limiter.start('u', 'quick')
    expect(limiter.userBusy('u')).toBe(2)
    expect(limiter.stuckUsers(1_000)).toEqual(['u'])
  })

  it('leaves a cap at or under four as configured, however busy the front door', () => {
    const limiter = new SendLimiter(2, 2, 1)
    limiter.yieldTo(() => 1_000)
    expect(limiter.total).toBe(2)
  })
})

async function until(ok: () => boolean): Promise<void> {
  const deadline = performance.now() + 2_000
  while (!ok()) {
    if (performance.now() > deadline) throw new Error('condition not reached in 2 s')
    await new Promise((r) => setTimeout(r, 5))
  }
}
