import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { testConfig } from '../../helpers/config.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { purgeExpired } from '../../../server/delivery/purge.js'

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

    it('judges age by the last change, not creation: a row created long ago but failed or retried recently stays', async () => {
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      // Created 90 days ago (or so it seems after a forward clock jump), marked failed just now.
      const markedFailed = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - 90 * DAY })
      await t.db.db.updateTable('deliveries').set({ updated_at: now - HOUR }).where('id', '=', markedFailed.deliveryId).execute()
      // Updated long ago, but its last attempt is recent.
      const triedLately = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'succeeded', at: now - 90 * DAY })
      await t.db.db.updateTable('deliveries').set({ last_attempt_at: now - DAY }).where('id', '=', triedLately.deliveryId).execute()
      const summary = await purgeExpired(t.db, config, now)
      expect(summary.deliveries_purged).toBe(0)
      expect((await t.db.db.selectFrom('deliveries').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([markedFailed.deliveryId, triedLately.deliveryId].sort())
      expect(await t.db.db.selectFrom('events').select('id').execute()).toHaveLength(2)
    })

    it('keeps an event while any of its deliveries is still pending, when its other deliveries expire', async () => {
      const ep1 = await seedEndpoint(t.db, { userId: 'u1' })
      const ep2 = await seedEndpoint(t.db, { userId: 'u1' })
      const done = await seedPair(t.db, { userId: 'u1', endpointId: ep1, status: 'failed', at: now - 90 * DAY })
      await t.db.db.insertInto('deliveries').values({
        id: 'dlv_STILLPENDING0000', event_id: done.eventId, endpoint_id: ep2, user_id: 'u1', event_type: 'email.received', status: 'pending',
        attempts: 3, next_attempt_at: now + HOUR, lease_owner: null, last_status_code: 500, last_error: 'HTTP 500',
        last_attempt_at: now - 90 * DAY, last_duration_ms: 5, created_at: now - 90 * DAY, updated_at: now - 90 * DAY,
      }).execute()
      const summary = await purgeExpired(t.db, config, now)
      expect(summary.deliveries_purged).toBe(1)
      expect((await t.db.db.selectFrom('deliveries').select('id').execute()).map((r) => r.id)).toEqual(['dlv_STILLPENDING0000'])
      expect(await t.db.db.selectFrom('events').select('id').execute()).toEqual([{ id: done.eventId }])
      expect(await payloadOf(done.eventId)).not.toBeNull()
    })

    it('never deletes a pending delivery, however old', async () => {
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const stuck = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'pending', at: now - 90 * DAY })
      await purgeExpired(t.db, config, now)
      expect(await t.db.db.selectFrom('deliveries').select('id').execute()).toEqual([{ id: stuck.deliveryId }])
    })
  })
}
