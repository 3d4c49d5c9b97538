// Results are written in gathered batches (ack-queue.ts): sends finishing a few ms apart share one
// transaction instead of one each, and a pass that ends writes what it holds at once.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useTestDb } from '../../helpers/db.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { makeTestApp } from '../../helpers/app.js'
import { claimDue } from '../../../server/delivery/claim.js'
import { AckQueue } from '../../../server/delivery/ack-queue.js'
import { afterSend } from '../../../server/delivery/outcome.js'
import type { SendResult } from '../../../server/delivery/types.js'

const ok: SendResult = { ok: true, statusCode: 200, durationMs: 3, errorClass: null, error: null, retryAfterMs: null, responseExcerpt: 'ok' }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('acks', () => {
  const t = useTestDb('sqlite')
  afterEach(() => { vi.useRealTimers() })

  async function twoClaims() {
    const app = makeTestApp(t.db)
    const ep = await seedEndpoint(t.db, { userId: 'u1', at: app.clock.now() })
    for (let i = 0; i < 2; i++) await seedPair(t.db, { userId: 'u1', endpointId: ep, at: app.clock.now() + i })
    app.clock.advance(10)
    const claims = await claimDue(t.db, { owner: 'me', nowMs: app.clock.now(), limit: 2, leaseMs: 60_000 })
    expect(claims).toHaveLength(2)
    const finish = (i: number) => afterSend(claims[i]!, ok, app.clock.now(), app.clock.now() + 3, app.deps.config, () => 0.5, 'scheduled')
    const rows = () => t.db.db.selectFrom('deliveries').select(['status', 'updated_at']).where('id', 'in', claims.map((c) => c.id)).orderBy('id').execute()
    return { app, finish, rows }
  }

  it('writes two results that finish a moment apart in one transaction', async () => {
    const { app, finish, rows } = await twoClaims()
    const acks = new AckQueue(app.deps)
    acks.push(finish(0))
    // A turn of the event loop later, and the clock on: with a write per result the first row
    // would already be written with the earlier time.
    await sleep(1)
    app.clock.advance(1_000)
    acks.push(finish(1))
    await acks.drain()
    const written = await rows()
    expect(written.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
    expect(new Set(written.map((r) => Number(r.updated_at))).size).toBe(1)
  })

  it('writes at once when the pass ends (drain), without waiting out the gathering', async () => {
    const { app, finish, rows } = await twoClaims()
    const acks = new AckQueue(app.deps)
    // With timers stopped, a write that waited for its gathering timer would never start.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    acks.push(finish(0), finish(1))
    await acks.drain()
    vi.useRealTimers()
    expect((await rows()).map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
  })
})
