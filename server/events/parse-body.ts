// Turns a verified POST /v1/events body into validated events, or one 422 naming every problem.
// A batch is all or nothing: one bad event refuses the whole request, so the bridge can resend it
// as it is after fixing the cause without creating half a batch twice.
import { ApiError, type FieldProblem } from '../http/errors.js'
import { checkEvent } from './validate.js'
import { isOperationalType } from './types.js'
import { exceedsDepth, MAX_JSON_DEPTH } from '../http/json-depth.js'
import type { EventEnvelope } from './schemas/envelope.js'

export const MAX_BATCH = 100

export interface IncomingEvent {
  event: EventEnvelope
  /** The exact JSON text stored, signed and sent to receivers. */
  payload: string
}

export function parseEventsBody(text: string): IncomingEvent[] {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ApiError('invalid_json', 'The request body is not valid JSON')
  }
  // Events nest a few levels; refuse absurd nesting before any recursive validation walks it.
  if (exceedsDepth(body)) {
    const message = `nests deeper than ${MAX_JSON_DEPTH} levels`
    throw new ApiError('validation_failed', `(body): ${message}`, [{ path: '(body)', message }])
  }
  const isBatch = body !== null && typeof body === 'object' && !Array.isArray(body) && 'events' in body && !('type' in body)
  const raws: unknown[] = isBatch ? toList((body as { events: unknown }).events) : [body]

  const problems: FieldProblem[] = []
  const valid: EventEnvelope[] = []
  raws.forEach((raw, i) => {
    const check = checkEvent(raw, isBatch ? ['events', i] : [])
    if (!check.ok) problems.push(...check.problems)
    else if (check.event.type === 'webhook.test') {
      problems.push({ path: isBatch ? `events.${i}.type` : 'type', message: 'webhook.test is sent only by the test button' })
    } else if (isOperationalType(check.event.type)) {
      problems.push({ path: isBatch ? `events.${i}.type` : 'type', message: `${check.event.type} is sent only by QSM Webhooks itself, about your endpoints` })
    } else valid.push(check.event)
  })
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
    throw new ApiError('validation_failed', `${problems[0]!.path}: ${problems[0]!.message}${more}`, problems)
  }
  // Serialise each validated envelope once: these bytes are stored, signed and sent unchanged.
  // Never the received text, even for one event: JSON with a repeated key ({"data":…,"data":…})
  // would otherwise carry the copy the validator never saw.
  return valid.map((event) => ({ event, payload: JSON.stringify(event) }))
}

function toList(events: unknown): unknown[] {
  const problem = (message: string) => new ApiError('validation_failed', `events: ${message}`, [{ path: 'events', message }])
  if (!Array.isArray(events)) throw problem('must be a list of events')
  if (events.length === 0) throw problem('must hold at least one event')
  if (events.length > MAX_BATCH) throw problem(`holds ${events.length} events; send at most ${MAX_BATCH} per request`)
  return events
}
