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
export function contentKeyPaths(value: unknown): (string | number)[][] {
  // Every event is walked, and almost none has a content key: one path array is kept and changed
  // in place, and copied only on a hit (copying it at every node was a third of the validation
  // time). The depth is bounded before this runs (parse-body.ts), so recursion is safe.
  const found: (string | number)[][] = []
  const path: (string | number)[] = []
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object') return
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        path.push(i)
        walk(node[i])
        path.pop()
      }
      return
    }
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue
      path.push(key)
      if (CONTENT_KEYS.has(key.toLowerCase())) found.push([...path])
      walk((node as Record<string, unknown>)[key])
      path.pop()
    }
  }
  walk(value)
  return found
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
