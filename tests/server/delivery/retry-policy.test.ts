import { describe, expect, it } from 'vitest'
import { classifyResult, nextAttemptAt } from '../../../server/delivery/retry-policy.js'

const M = 60_000
const SCHEDULE = [1 * M, 5 * M, 30 * M, 120 * M]
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0)
const half = () => 0.5

describe('nextAttemptAt', () => {
  it('follows the schedule exactly when the random draw is in the middle', () => {
    expect([1, 2, 3, 4].map((made) => nextAttemptAt(made, NOW, SCHEDULE, 5, half)! - NOW)).toEqual(SCHEDULE)
  })

  it('gives up once the attempts are used up', () => {
    expect(nextAttemptAt(5, NOW, SCHEDULE, 5, half)).toBeNull()
    expect(nextAttemptAt(2, NOW, SCHEDULE, 2, half)).toBeNull()
  })

  it('jitters each wait by at most ten percent either way', () => {
    expect(nextAttemptAt(1, NOW, SCHEDULE, 5, () => 0)! - NOW).toBe(54_000)
    expect(nextAttemptAt(1, NOW, SCHEDULE, 5, () => 1)! - NOW).toBe(66_000)
    for (let i = 0; i < 200; i++) {
      const wait = nextAttemptAt(3, NOW, SCHEDULE, 5, Math.random)! - NOW
      expect(wait).toBeGreaterThanOrEqual(27 * M)
      expect(wait).toBeLessThanOrEqual(33 * M)
    }
  })

  it('repeats the last step when more attempts are allowed than the schedule has steps', () => {
    expect(nextAttemptAt(6, NOW, SCHEDULE, 8, half)! - NOW).toBe(120 * M)
  })

  it('waits as long as Retry-After asks, within the schedule step and the longest step', () => {
    expect(nextAttemptAt(1, NOW, SCHEDULE, 5, half, 10 * M)! - NOW).toBe(10 * M)
    // Never sooner than the schedule says…
    expect(nextAttemptAt(2, NOW, SCHEDULE, 5, half, 1000)! - NOW).toBe(5 * M)
    // …and never later than the longest step.
    expect(nextAttemptAt(1, NOW, SCHEDULE, 5, half, 48 * 60 * M)! - NOW).toBe(120 * M)
  })

  it('still gives up after the last attempt even when Retry-After asks for another', () => {
    expect(nextAttemptAt(5, NOW, SCHEDULE, 5, half, 10 * M)).toBeNull()
  })
})

describe('classifyResult', () => {
  it('counts only 2xx as success and 410 as gone; every other answer is retried', () => {
    expect(classifyResult({ ok: true, statusCode: 204 })).toBe('succeeded')
    expect(classifyResult({ ok: false, statusCode: 410 })).toBe('gone')
    for (const code of [302, 400, 401, 404, 429, 500, 503, null]) expect(classifyResult({ ok: false, statusCode: code })).toBe('retry')
  })
})
