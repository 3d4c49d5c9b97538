import { describe, expect, it } from 'vitest'
import { EVENT_TYPES } from '../../../server/events/types.js'
import { EXAMPLES } from '../../../server/events/examples.js'
import { DATA_SCHEMAS, EVENT_SCHEMAS } from '../../../server/events/schemas/envelope.js'
import { checkEvent } from '../../../server/events/validate.js'
import { eventCatalogue } from '../../../server/events/catalogue.js'

const clone = <T>(v: T): T => structuredClone(v)
/** Keys of a zod object schema that must be present (nullable ones included). */
const requiredKeys = (schema: { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }) =>
  Object.entries(schema.shape).filter(([, s]) => !s.safeParse(undefined).success).map(([k]) => k)

describe.each(EVENT_TYPES)('the %s event', (type) => {
  const example = EXAMPLES[type]

  it('has an example that validates', () => {
    expect(EVENT_SCHEMAS[type].safeParse(example).success).toBe(true)
    expect(checkEvent(example)).toMatchObject({ ok: true })
  })

  it('requires every data field the example carries', () => {
    const keys = requiredKeys(DATA_SCHEMAS[type] as never)
    expect(keys.length).toBeGreaterThan(1)
    for (const key of keys) {
      const event = clone(example) as { data: Record<string, unknown> }
      delete event.data[key]
      const check = checkEvent(event)
      expect(check.ok, `data.${key} missing should be refused`).toBe(false)
      if (!check.ok) expect(check.problems.map((p) => p.path)).toContain(`data.${key}`)
    }
  })

  it('requires every envelope field', () => {
    for (const key of ['id', 'type', 'schema_version', 'occurred_at', 'user_id', 'actor', 'data']) {
      const event = clone(example) as Record<string, unknown>
      delete event[key]
      expect(checkEvent(event).ok, `${key} missing should be refused`).toBe(false)
    }
  })
})

describe('privacy', () => {
  it('refuses a subject on the message, naming the path and the reason', () => {
    const event = clone(EXAMPLES['email.received']) as any
    event.data.message.subject = 'Your invoice'
    const check = checkEvent(event)
    expect(check.ok).toBe(false)
    if (!check.ok) expect(check.problems).toEqual([{ path: 'data.message.subject', message: expect.stringMatching(/no subjects or bodies/) }])
  })

  it('refuses body, text and html keys anywhere in the event', () => {
    const event = clone(EXAMPLES['email.failed']) as any
    event.data.body = 'x'
    event.data.failure.text = 'y'
    event.HTML = '<p>'
    const check = checkEvent(event)
    expect(check.ok).toBe(false)
    if (!check.ok) expect(check.problems.map((p) => p.path).sort()).toEqual(['HTML', 'data.body', 'data.failure.text'])
  })

  it('refuses other unknown fields by name so typos surface at the mail app', () => {
    const event = clone(EXAMPLES['email.forwarded']) as any
    event.data.destinaton = {}
    const check = checkEvent(event)
    expect(check.ok).toBe(false)
    if (!check.ok) expect(check.problems).toContainEqual({ path: 'data', message: 'unknown field "destinaton"' })
  })
})

describe('the envelope', () => {
  it('names an unknown type plainly', () => {
    const check = checkEvent({ ...EXAMPLES['email.received'], type: 'email.bounced' })
    expect(check).toEqual({ ok: false, problems: [{ path: 'type', message: '"email.bounced" is not an event type (see GET /v1/event-types)' }] })
  })

  it('accepts only evt_ ids, schema_version 1, ISO times and known actor types', () => {
    const base = EXAMPLES['usage.threshold_reached']
    expect(checkEvent({ ...base, id: 'msg_01JB8Z9Q2M6X6W9J3C1N7F4T2A' }).ok).toBe(false)
    expect(checkEvent({ ...base, id: 'evt_short' }).ok).toBe(false)
    expect(checkEvent({ ...base, schema_version: 2 }).ok).toBe(false)
    expect(checkEvent({ ...base, occurred_at: '28/11/2026' }).ok).toBe(false)
    expect(checkEvent({ ...base, actor: { type: 'robot', id: 'x' } }).ok).toBe(false)
    expect(checkEvent({ ...base, user_id: '' }).ok).toBe(false)
    expect(checkEvent({ ...base, occurred_at: '2026-11-28T13:00:02+01:00' }).ok).toBe(true)
  })
})

describe('the catalogue', () => {
  it('lists every type once with a one-sentence description, version 1, an open JSON Schema and its example', () => {
    const entries = eventCatalogue()
    expect(entries.map((e) => e.type)).toEqual([...EVENT_TYPES])
    for (const entry of entries) {
      expect(entry.description).toMatch(/^[A-Z].*\.$/)
      expect(entry.schema_version).toBe(1)
      expect(entry.schema).toMatchObject({ type: 'object', title: entry.type })
      expect(JSON.stringify(entry.schema)).not.toContain('"additionalProperties":false')
      expect(entry.example).toBe(EXAMPLES[entry.type])
    }
  })
})
