import { describe, expect, it } from 'vitest'
import { endpointWants, patternProblem } from '../../../server/events/types.js'

describe('event type patterns', () => {
  it('accepts exact types, "*" and known groups', () => {
    expect(patternProblem('email.failed')).toBeNull()
    expect(patternProblem('*')).toBeNull()
    expect(patternProblem('email.*')).toBeNull()
    expect(patternProblem('overflow.*')).toBeNull()
  })

  it('names an unknown type or group', () => {
    expect(patternProblem('email.bounced')).toMatch(/"email.bounced" is not an event type/)
    expect(patternProblem('mail.*')).toMatch(/"mail.\*" matches no event types/)
  })

  it('sends only failed mail to an endpoint that chose email.failed', () => {
    expect(endpointWants(['email.failed'], 'email.failed')).toBe(true)
    expect(endpointWants(['email.failed'], 'email.forwarded')).toBe(false)
  })

  it('matches a group wildcard within its group only', () => {
    expect(endpointWants(['email.*'], 'email.spam')).toBe(true)
    expect(endpointWants(['email.*'], 'usage.threshold_reached')).toBe(false)
    expect(endpointWants(['*'], 'overflow.hold_released')).toBe(true)
  })
})
