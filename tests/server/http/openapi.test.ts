import { describe, expect, it } from 'vitest'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'

describe('/openapi.json', () => {
  const t = useTestDb('sqlite')

  it('gives every operation a unique operationId, for client generators', async () => {
    const doc = (await makeTestApp(t.db).call(null, 'GET', '/openapi.json')).json
    const ops = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.entries(item).map(([method, op]: [string, any]) => ({ path, method, id: op.operationId })))
    expect(ops.filter((o) => !o.id)).toEqual([])
    expect(new Set(ops.map((o) => o.id)).size).toBe(ops.length)
  })

  it('declares the bridge signature on POST /v1/events and the cron token on /tick', async () => {
    const doc = (await makeTestApp(t.db).call(null, 'GET', '/openapi.json')).json
    expect(doc.paths['/v1/events'].post.security).toEqual([{ bridgeSignature: [] }])
    expect(doc.paths['/tick'].get.security).toEqual([{ cronBearer: [] }, { cronTokenQuery: [] }])
    expect(doc.paths['/tick'].post.security).toEqual([{ cronBearer: [] }, { cronTokenQuery: [] }])
    expect(doc.components.securitySchemes).toMatchObject({
      bridgeSignature: { type: 'apiKey', in: 'header', name: 'webhook-signature' },
      cronBearer: { type: 'http', scheme: 'bearer' },
      cronTokenQuery: { type: 'apiKey', in: 'query', name: 'token' },
    })
  })
})
