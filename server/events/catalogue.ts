// The event catalogue: what GET /v1/event-types answers and what docs/schema/ holds. JSON Schemas
// are generated from the zod schemas and opened up (no additionalProperties: false), because
// receivers must accept fields added later; the ingest itself stays strict.
import { z } from 'zod'
import { EVENT_TYPES, type EventType } from './types.js'
import { EVENT_SCHEMAS, Envelope, SCHEMA_VERSION } from './schemas/envelope.js'
import { EXAMPLES } from './examples.js'

export const DESCRIPTIONS: Record<EventType, string> = {
  'email.received': 'QSM accepted an incoming message for one of your aliases.',
  'email.forwarded': 'A copy of a message was handed to one destination (one event per destination).',
  'email.failed': 'Forwarding a message to a destination failed, temporarily or for good.',
  'email.spam': 'A message was classified as spam and QSM acted on it.',
  'email.oversize': 'A message was larger than your plan or the provider allows.',
  'usage.threshold_reached': 'Usage crossed a threshold (for example 90 %) of the limit for the billing period.',
  'overflow.hold_started': 'Incoming mail is now deferred (Overflow Hold) because a limit was reached.',
  'overflow.hold_released': 'An Overflow Hold ended and held mail flows again.',
  'webhook.test': 'A test event sent from the dashboard; it carries no mail data.',
  'endpoint.failing': 'One of your other endpoints started failing (several failed deliveries in a row, or failures for 15 minutes).',
  'endpoint.disabled': 'QSM turned one of your other endpoints off: it answered 410 Gone, or failed continuously for the failure period.',
  'endpoint.recovered': 'An endpoint that was failing or turned off delivered successfully again.',
}

export interface CatalogueEntry {
  type: EventType
  description: string
  schema_version: number
  schema: Record<string, unknown>
  example: Record<string, unknown>
}

export function toOpenJsonSchema(schema: z.ZodType, title: string, description: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    override: (ctx) => {
      if (ctx.jsonSchema.additionalProperties === false) delete ctx.jsonSchema.additionalProperties
      // zod adds a long regex next to format: date-time; the format says it and reads better.
      if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern
    },
  }) as Record<string, unknown>
  const { $schema, ...rest } = json
  return { $schema, title, description, ...rest }
}

let cached: CatalogueEntry[] | undefined

export function eventCatalogue(): CatalogueEntry[] {
  cached ??= EVENT_TYPES.map((type) => ({
    type,
    description: DESCRIPTIONS[type],
    schema_version: SCHEMA_VERSION,
    schema: toOpenJsonSchema(EVENT_SCHEMAS[type], type, DESCRIPTIONS[type]),
    example: EXAMPLES[type],
  }))
  return cached
}

export function envelopeJsonSchema(): Record<string, unknown> {
  return toOpenJsonSchema(Envelope, 'QSM event envelope', 'The envelope every QSM event travels in; data depends on type.')
}
