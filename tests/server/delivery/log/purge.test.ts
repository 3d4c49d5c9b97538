import { describe, expect, it } from 'vitest'
import { dialects } from '../../../helpers/dialects.js'
import { useTestDb } from '../../../helpers/db.js'
import { testConfig } from '../../../helpers/config.js'
import { seedEndpoint, seedPair } from '../../../helpers/seed.js'
import { purgeExpired } from '../../../../server/delivery/log/purge.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

for (const dialect of dialects()) {
  describe(`${dialect}: retention purge`, () => {
    const t = useTestDb(dialect)
    const config = testConfig({ QSM_PAYLOAD_RETENTION_HOURS: '72', QSM_LOG_RETENTION_DAYS: '30' })
    const now = Date.UTC(2026, 10, 28)

    const payloadOf = async (id: string) => (await t.db.db.selectFrom('events').select('payload').where('id', '=', id).executeTakeFirst())?.payload

    it('drops payloads older than 72 hours once nothing still needs them', async () => {
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const old = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'succeeded', at: now - 73 * HOUR })
      const fresh = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'succeeded', at: now - 71 * HOUR })
      const summary = await purgeExpired(t.db, config, now)
      expect(summary.payloads_purged).toBe(1)
      expect(await payloadOf(old.eventId)).toBeNull()
      expect(await payloadOf(fresh.eventId)).not.toBeNull()
    })

    it('keeps an old payload while one of its deliveries is still pending', async () => {
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const pending = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'pending', at: now - 80 * HOUR })
      await purgeExpired(t.db, config, now)
      expect(await payloadOf(pending.eventId)).not.toBeNull()
    })

    it('deletes finished log rows and their attempts after 30 days, and keeps younger ones', async () => {
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const old = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - 31 * DAY })
      const young = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - 29 * DAY })
      await t.db.db.insertInto('delivery_attempts').values({ delivery_id: old.deliveryId, attempt: 1, started_at: now - 31 * DAY, duration_ms: 5, status_code: 500, error_class: 'http_error', error: 'HTTP 500', trigger: 'scheduled' }).execute()
      const summary = await purgeExpired(t.db, config, now)
      expect(summary.deliveries_purged).toBe(1)
      const left = await t.db.db.selectFrom('deliveries').select('id').execute()
      expect(left.map((r) => r.id)).toEqual([young.deliveryId])
      expect(await t.db.db.selectFrom('delivery_attempts').selectAll().execute()).toEqual([])
      expect(await t.db.db.selectFrom('events').select('id').where('id', '=', old.eventId).execute()).toEqual([])
    })

    it('never deletes a pending delivery, however old', async () => {
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const stuck = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'pending', at: now - 90 * DAY })
      await purgeExpired(t.db, config, now)
      expect(await t.db.db.selectFrom('deliveries').select('id').execute()).toEqual([{ id: stuck.deliveryId }])
    })
  })
}
