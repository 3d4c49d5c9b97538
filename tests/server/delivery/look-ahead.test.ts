// How many claimed jobs a runner keeps ahead of its free slots (server/delivery/look-ahead.ts): two
// rounds of the cap while claims are quick, enough to cover a slow claim four times over when they are not.
import { describe, expect, it } from 'vitest'
import { LookAhead, MAX_LOOK_AHEAD } from '../../../server/delivery/look-ahead.js'

/** A look-ahead for 4 slots (two rounds: 8) on a clock the test moves. */
function fourSlots() {
  let now = 0
  const ahead = new LookAhead(8, 1_000, () => now)
  /** `sends` sends end over `ms`, then a claim that took `claimMs` lands. */
  const period = (sends: number, ms: number, claimMs: number) => {
    now += ms
    for (let i = 0; i < sends; i++) ahead.finished()
    ahead.claimed(claimMs)
  }
  return { ahead, period }
}

describe('the look-ahead of a runner', () => {
  it('keeps two rounds of the cap before anything was measured', () => {
    expect(fourSlots().ahead.size()).toBe(8)
  })

  it('keeps two rounds while a claim takes less time than the slots need to send them', () => {
    const { ahead, period } = fourSlots()
    // One user's backlog: claims of half a millisecond, 4 sends a millisecond.
    for (let i = 0; i < 10; i++) period(8, 2, 0.5)
    expect(ahead.size()).toBe(8)
  })

  it('covers a slow claim four times over: 10 ms claims while 0.8 sends a millisecond end keep 32 jobs ahead', () => {
    const { ahead, period } = fourSlots()
    for (let i = 0; i < 10; i++) period(8, 10, 10)
    expect(ahead.size()).toBe(32)
  })

  it('grows as the runner sends faster, up to its largest claim', () => {
    const { ahead, period } = fourSlots()
    // Many users, claims of 10 ms: each claim's jobs are sent in a fraction of the next claim.
    let held = ahead.size()
    const sizes: number[] = []
    for (let i = 0; i < 40; i++) {
      period(held, 10, 10)
      held = ahead.size()
      sizes.push(held)
    }
    expect(sizes[1]!).toBeGreaterThan(sizes[0]!)
    expect(Math.max(...sizes)).toBe(MAX_LOOK_AHEAD)
  })

  it('never holds more than the slots send in half of the wait a held job is allowed', () => {
    const { ahead, period } = fourSlots()
    // Claims of 400 ms while 0.1 sends a millisecond end: covering them would be 160 jobs, which
    // these slots take 1.6 s to send; a job held 1 s is given back.
    for (let i = 0; i < 10; i++) period(40, 400, 400)
    expect(ahead.size()).toBe(50)
  })

  it('falls back to two rounds when the sends slow down', () => {
    const { ahead, period } = fourSlots()
    for (let i = 0; i < 10; i++) period(100, 10, 10)
    expect(ahead.size()).toBe(MAX_LOOK_AHEAD)
    // Receivers now answer in 500 ms: 4 slots end 8 sends a second.
    for (let i = 0; i < 20; i++) period(4, 500, 10)
    expect(ahead.size()).toBe(8)
  })
})
