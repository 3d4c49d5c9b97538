// The event type names and the filter patterns endpoints subscribe with: an exact type, "*" for
// everything, or "group.*" for a whole group ("email.*"). Schemas live in schemas/.
export const EVENT_TYPES = [
  'email.received',
  'email.forwarded',
  'email.failed',
  'email.spam',
  'email.oversize',
  'usage.threshold_reached',
  'overflow.hold_started',
  'overflow.hold_released',
  'webhook.test',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

const GROUPS = new Set(EVENT_TYPES.map((t) => t.split('.')[0]!))

/** Null when the pattern names a known type, "*" or a known "group.*"; otherwise why not. */
export function patternProblem(pattern: string): string | null {
  if (pattern === '*') return null
  if (pattern.endsWith('.*')) {
    const group = pattern.slice(0, -2)
    return GROUPS.has(group) ? null : `"${pattern}" matches no event types (known groups: ${[...GROUPS].map((g) => `${g}.*`).join(', ')})`
  }
  return (EVENT_TYPES as readonly string[]).includes(pattern) ? null : `"${pattern}" is not an event type (see GET /v1/event-types)`
}

function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === '*') return true
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1))
  return pattern === type
}

/** Whether an endpoint subscribed to `patterns` receives `type`. webhook.test goes only where it is sent. */
export function endpointWants(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => matchesPattern(p, type))
}
