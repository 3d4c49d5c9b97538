import { describe, expect, it } from 'vitest'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { EVENT_TYPES } from '../../../server/events/types.js'
import { EXAMPLES } from '../../../server/events/examples.js'

describe('GET /v1/event-types', () => {
  const tdb = useTestDb('sqlite')

  it('asks for sign-in first', async () => {
    const t = makeTestApp(tdb.db)
    const res = await t.call(null, 'GET', '/v1/event-types')
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('unauthorized')
  })

  it('lists every event type with description, schema_version, JSON Schema and example', async () => {
    const t = makeTestApp(tdb.db)
    const res = await t.call('u1', 'GET', '/v1/event-types')
    expect(res.status).toBe(200)
    expect(res.json.data.map((e: any) => e.type)).toEqual([...EVENT_TYPES])
    const failed = res.json.data.find((e: any) => e.type === 'email.failed')
    expect(failed).toMatchObject({ schema_version: 1, example: EXAMPLES['email.failed'] })
    expect(failed.description).toMatch(/failed/)
    expect(failed.schema.properties.data.properties.failure.required).toContain('category')
  })

  it('documents both event routes in /openapi.json', async () => {
    const t = makeTestApp(tdb.db)
    const doc = (await t.call(null, 'GET', '/openapi.json')).json
    expect(doc.paths['/v1/event-types'].get.security).toEqual([{ bearerAuth: [] }])
    expect(Object.keys(doc.paths['/v1/events'].post.responses).sort()).toEqual(['200', '202', '401', '413', '422', '503'])
    expect(doc.paths['/v1/events'].post.parameters.map((p: any) => p.name)).toContain('webhook-signature')
  })
})
