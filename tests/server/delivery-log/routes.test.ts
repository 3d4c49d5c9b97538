import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { seedEndpoint, seedPair, seedDelivery, seedEvent } from '../../helpers/seed.js'

const HOUR = 3_600_000

for (const dialect of dialects()) {
  describe(`${dialect}: delivery log API`, () => {
    const t = useTestDb(dialect)

    it('lists a user\'s deliveries newest first with the endpoint URL', async () => {
      const { call, clock } = makeTestApp(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1', url: 'https://a.example/hook' })
      const older = await seedPair(t.db, { userId: 'u1', endpointId: ep, at: clock.now() - 2000 })
      const newer = await seedPair(t.db, { userId: 'u1', endpointId: ep, at: clock.now() - 1000 })
      const res = await call('u1', 'GET', '/v1/deliveries')
      expect(res.status).toBe(200)
      expect(res.json.data.map((d: any) => d.id)).toEqual([newer.deliveryId, older.deliveryId])
      expect(res.json.data[0]).toMatchObject({ endpoint_url: 'https://a.example/hook', status: 'pending', attempts: 0 })
      expect(res.json.next_cursor).toBeNull()
    })

    it('filters by status, endpoint, event type and time range', async () => {
      const { call, clock } = makeTestApp(t.db)
      const now = clock.now()
      const a = await seedEndpoint(t.db, { userId: 'u1' })
      const b = await seedEndpoint(t.db, { userId: 'u1' })
      const failedA = await seedPair(t.db, { userId: 'u1', endpointId: a, status: 'failed', type: 'email.failed', at: now - 3 * HOUR })
      const okA = await seedPair(t.db, { userId: 'u1', endpointId: a, status: 'succeeded', type: 'email.forwarded', at: now - 2 * HOUR })
      const failedB = await seedPair(t.db, { userId: 'u1', endpointId: b, status: 'failed', type: 'email.spam', at: now - HOUR })
      const ids = async (q: string) => (await call('u1', 'GET', `/v1/deliveries?${q}`)).json.data.map((d: any) => d.id)
      expect(await ids('status=failed')).toEqual([failedB.deliveryId, failedA.deliveryId])
      expect(await ids(`endpoint_id=${a}`)).toEqual([okA.deliveryId, failedA.deliveryId])
      expect(await ids('event_type=email.forwarded')).toEqual([okA.deliveryId])
      const since = new Date(now - 2.5 * HOUR).toISOString()
      const until = new Date(now - 1.5 * HOUR).toISOString()
      expect(await ids(`since=${since}&until=${until}`)).toEqual([okA.deliveryId])
      expect(await ids(`status=failed&endpoint_id=${b}`)).toEqual([failedB.deliveryId])
    })

    it('pages with a cursor without skipping or repeating a delivery', async () => {
      const { call, clock } = makeTestApp(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const made: string[] = []
      for (let i = 0; i < 7; i++) made.push((await seedPair(t.db, { userId: 'u1', endpointId: ep, at: clock.now() - 10_000 + i })).deliveryId)
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const res: any = await call('u1', 'GET', `/v1/deliveries?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
        seen.push(...res.json.data.map((d: any) => d.id))
        cursor = res.json.next_cursor
        pages++
      } while (cursor)
      expect(pages).toBe(3)
      expect(seen).toEqual([...made].reverse())
    })

    it('refuses a bad filter with the field named', async () => {
      const { call } = makeTestApp(t.db)
      const res = await call('u1', 'GET', '/v1/deliveries?status=lost&limit=500')
      expect(res.status).toBe(422)
      expect(res.json.error.code).toBe('validation_failed')
      expect(res.json.error.details.map((d: any) => d.path).sort()).toEqual(['limit', 'status'])
    })

    it('shows one delivery with each attempt in order', async () => {
      const { call, clock } = makeTestApp(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const { deliveryId } = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed' })
      for (const [attempt, code] of [[1, 503], [2, 500]] as const) {
        await t.db.db.insertInto('delivery_attempts').values({ delivery_id: deliveryId, attempt, started_at: clock.now() + attempt, duration_ms: 12, status_code: code, error_class: 'http_error', error: `HTTP ${code}`, trigger: 'scheduled' }).execute()
      }
      const res = await call('u1', 'GET', `/v1/deliveries/${deliveryId}`)
      expect(res.status).toBe(200)
      expect(res.json.attempts_log.map((a: any) => [a.attempt, a.status_code, a.error])).toEqual([[1, 503, 'HTTP 503'], [2, 500, 'HTTP 500']])
    })

    it('never shows or changes another user\'s deliveries', async () => {
      const { call } = makeTestApp(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'owner' })
      const { deliveryId } = await seedPair(t.db, { userId: 'owner', endpointId: ep, status: 'failed' })
      expect((await call('intruder', 'GET', '/v1/deliveries')).json.data).toEqual([])
      expect((await call('intruder', 'GET', `/v1/deliveries/${deliveryId}`)).status).toBe(404)
      expect((await call('intruder', 'POST', `/v1/deliveries/${deliveryId}/retry`)).status).toBe(404)
      const replay = await call('intruder', 'POST', '/v1/deliveries/replay', { endpoint_id: ep, since: '2000-01-01T00:00:00Z' })
      expect(replay.status).toBe(404)
      const row = await t.db.db.selectFrom('deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirstOrThrow()
      expect(row.status).toBe('failed')
    })

    it('needs a sign-in token', async () => {
      const { call } = makeTestApp(t.db)
      expect((await call(null, 'GET', '/v1/deliveries')).status).toBe(401)
    })

    it('makes a failed delivery due now when redelivered', async () => {
      const { call, clock } = makeTestApp(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const { deliveryId } = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed' })
      const res = await call('u1', 'POST', `/v1/deliveries/${deliveryId}/retry`)
      expect(res.status).toBe(202)
      expect(res.json.delivery.status).toBe('pending')
      const row = await t.db.db.selectFrom('deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirstOrThrow()
      expect([row.status, Number(row.next_attempt_at)]).toEqual(['pending', clock.now()])
    })

    it('refuses to redeliver while an attempt is in flight, after the payload is purged, or to a paused endpoint', async () => {
      const { call } = makeTestApp(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const eventId = await seedEvent(t.db, { userId: 'u1' })
      const leased = await seedDelivery(t.db, { userId: 'u1', endpointId: ep, eventId, leaseOwner: 'worker-1' })
      expect((await call('u1', 'POST', `/v1/deliveries/${leased}/retry`)).json.error.message).toMatch(/being sent right now/)
      const purged = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', payload: null })
      const res = await call('u1', 'POST', `/v1/deliveries/${purged.deliveryId}/retry`)
      expect([res.status, res.json.error.code]).toEqual([409, 'conflict'])
      expect(res.json.error.message).toMatch(/purged/)
      const paused = await seedEndpoint(t.db, { userId: 'u1', isActive: false })
      const onPaused = await seedPair(t.db, { userId: 'u1', endpointId: paused, status: 'failed' })
      expect((await call('u1', 'POST', `/v1/deliveries/${onPaused.deliveryId}/retry`)).json.error.message).toMatch(/turn it on first/)
    })

    it('replays only the failed deliveries of one endpoint in the range', async () => {
      const { call, clock } = makeTestApp(t.db)
      const now = clock.now()
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const other = await seedEndpoint(t.db, { userId: 'u1' })
      const inRange = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - HOUR })
      const tooOld = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - 5 * HOUR })
      const succeeded = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'succeeded', at: now - HOUR })
      const otherEndpoint = await seedPair(t.db, { userId: 'u1', endpointId: other, status: 'failed', at: now - HOUR })
      const expired = await seedPair(t.db, { userId: 'u1', endpointId: ep, status: 'failed', at: now - HOUR, payload: null })
      const res = await call('u1', 'POST', '/v1/deliveries/replay', { endpoint_id: ep, since: new Date(now - 2 * HOUR).toISOString() })
      expect(res.status).toBe(202)
      expect(res.json).toMatchObject({ replayed: 1, skipped_expired: 1, skipped: { payload_expired: 1, endpoint_disabled: 0 } })
      const status = async (id: string) => (await t.db.db.selectFrom('deliveries').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status
      expect(await status(inRange.deliveryId)).toBe('pending')
      expect(await status(tooOld.deliveryId)).toBe('failed')
      expect(await status(succeeded.deliveryId)).toBe('succeeded')
      expect(await status(otherEndpoint.deliveryId)).toBe('failed')
      expect(await status(expired.deliveryId)).toBe('failed')
    })

    it('refuses a replay range that ends before it starts', async () => {
      const { call } = makeTestApp(t.db)
      const ep = await seedEndpoint(t.db, { userId: 'u1' })
      const res = await call('u1', 'POST', '/v1/deliveries/replay', { endpoint_id: ep, since: '2026-11-02T00:00:00Z', until: '2026-11-01T00:00:00Z' })
      expect([res.status, res.json.error.message]).toEqual([422, 'until: must be later than since'])
    })
  })
}
