// Checks one incoming event against its type's schema and the privacy rule. Message content
// (subject, text, html, body) is refused by name with its own message, wherever it appears, so the
// mail app's developer sees why instead of a bare "unrecognized key".
import type { FieldProblem } from '../http/errors.js'
import { EVENT_TYPES } from './types.js'
import { AnyEvent, type EventEnvelope } from './schemas/envelope.js'

export const CONTENT_KEYS = new Set(['subject', 'text', 'html', 'body'])
const CONTENT_MESSAGE = 'message content is never accepted: events carry metadata only (no subjects or bodies), for privacy'

export type EventCheck = { ok: true; event: EventEnvelope } | { ok: false; problems: FieldProblem[] }

/** Paths of every content key at any depth, e.g. ["data", "message", "subject"]. */
export function contentKeyPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => contentKeyPaths(item, [...path, i]))
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(CONTENT_KEYS.has(key.toLowerCase()) ? [[...path, key]] : []),
    ...contentKeyPaths(inner, [...path, key]),
  ])
}

const join = (prefix: (string | number)[], path: readonly PropertyKey[]) => [...prefix, ...path].map(String).join('.') || '(body)'

export function checkEvent(raw: unknown, prefix: (string | number)[] = []): EventCheck {
  const problems: FieldProblem[] = contentKeyPaths(raw).map((p) => ({ path: join(prefix, p), message: CONTENT_MESSAGE }))
  const type = (raw as { type?: unknown } | null)?.type
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !(EVENT_TYPES as readonly unknown[]).includes(type)) {
    // The union's own message lists every option; this one says what was wrong and where to look.
    problems.push({ path: join(prefix, ['type']), message: `${JSON.stringify(type ?? null)} is not an event type (see GET /v1/event-types)` })
    return { ok: false, problems }
  }
  const result = AnyEvent.safeParse(raw)
  if (result.success && problems.length === 0) return { ok: true, event: result.data }
  for (const issue of result.error?.issues ?? []) {
    if (issue.code === 'unrecognized_keys') {
      // Content keys were already reported above with the privacy reason.
      const others = issue.keys.filter((k) => !CONTENT_KEYS.has(k.toLowerCase()))
      if (others.length === 0) continue
      problems.push({ path: join(prefix, issue.path), message: `unknown field${others.length > 1 ? 's' : ''} ${others.map((k) => `"${k}"`).join(', ')}` })
      continue
    }
    problems.push({ path: join(prefix, issue.path), message: issue.message })
  }
  return { ok: false, problems }
}
