import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { seedEndpoint } from '../../helpers/seed.js'

for (const dialect of dialects()) {
  describe(`${dialect}: ids compare byte for byte`, () => {
    const t = useTestDb(dialect)

    it('keeps users whose ids differ only in letter case apart', async () => {
      const { call } = makeTestApp(t.db)
      const mine = await seedEndpoint(t.db, { userId: 'user1' })
      const list = await call('USER1', 'GET', '/v1/webhooks')
      expect(list.json.data).toEqual([])
      expect((await call('User1', 'GET', `/v1/webhooks/${mine}`)).status).toBe(404)
      expect((await call('user1', 'GET', `/v1/webhooks/${mine}`)).status).toBe(200)
    })

    it('treats event ids that differ in case as different events', async () => {
      await t.db.db.insertInto('events').values([
        { id: 'evt_ABCDEFGHIJ', user_id: 'u', type: 'email.received', schema_version: 1, occurred_at: 1, payload: '{}', received_at: 1 },
        { id: 'evt_abcdefghij', user_id: 'u', type: 'email.received', schema_version: 1, occurred_at: 1, payload: '{}', received_at: 1 },
      ]).execute()
      expect(await t.db.db.selectFrom('events').select('id').where('id', '=', 'evt_abcdefghij').execute()).toEqual([{ id: 'evt_abcdefghij' }])
    })
  })
}
