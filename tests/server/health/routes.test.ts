import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { TEST_SECRETS } from '../../helpers/config.js'

for (const dialect of dialects()) {
  describe(`${dialect}: health and API description`, () => {
    const t = useTestDb(dialect)

    it('answers /healthz with the database kind and reachability, and no secrets', async () => {
      const { call } = makeTestApp(t.db)
      const res = await call(null, 'GET', '/healthz')
      expect(res.status).toBe(200)
      expect(res.json.status).toBe('ok')
      expect(res.json.database).toMatchObject({ kind: dialect, reachable: true })
      const text = JSON.stringify(res.json)
      for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret)
    })

    it('serves an OpenAPI 3.1 description', async () => {
      const { call } = makeTestApp(t.db)
      const res = await call(null, 'GET', '/openapi.json')
      expect(res.status).toBe(200)
      expect(res.json.openapi).toBe('3.1.0')
      expect(Object.keys(res.json.paths)).toContain('/healthz')
    })

    it('answers an unknown route with a JSON 404', async () => {
      const { call } = makeTestApp(t.db)
      const res = await call(null, 'GET', '/v1/nothing-here')
      expect(res.status).toBe(404)
      expect(res.json).toEqual({ error: { code: 'not_found', message: 'No such route' } })
    })
  })
}
