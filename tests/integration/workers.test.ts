// Worker processes against one MariaDB: several draining one queue, and one killed mid-delivery.
// MySQL only: SQLite is meant for a single process (one writer at a time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import type { Db } from '../../server/db/connect.js'
import { newId } from '../../server/db/ids.js'
import { encryptSecret, generateSecret } from '../../server/crypto/secrets.js'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { countingReceiver } from '../server/delivery/helpers.js'

interface Worker {
  child: ChildProcess
  output(): string
  exited: Promise<number | null>
}

function startWorker(url: string, env: Record<string, string>): Worker {
  let out = ''
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'worker'], {
    env: {
      ...process.env, ...TEST_SECRETS, QSM_DATABASE_URL: url, QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_LOG_LEVEL: 'warn',
      QSM_CONCURRENCY: '8', QSM_USER_CONCURRENCY: '8', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

/** `users` users with `endpointsEach` endpoints on the receiver and `eventsEach` events each, every event to every endpoint of its user. */
async function seedQueue(db: Db, o: { receiverUrl: string; users: number; endpointsEach: number; eventsEach: number; now: number }) {
  const secretEnc = encryptSecret(generateSecret(), TEST_SECRETS.QSM_APP_KEY)
  const pairs: string[] = []
  for (let u = 0; u < o.users; u++) {
    const userId = `u${u}`
    const endpoints = Array.from({ length: o.endpointsEach }, (_, e) => ({ id: newId('wh', o.now), path: `/u${u}-e${e}` }))
    await db.db.insertInto('endpoints').values(endpoints.map((ep) => ({
      id: ep.id, user_id: userId, url: `${o.receiverUrl}${ep.path}`, description: '', event_types: '["*"]', is_active: 1, disabled_reason: null,
      disabled_at: null, secret_enc: secretEnc, secret_key_id: 'key_test', previous_secret_enc: null, previous_key_id: null,
      previous_expires_at: null, failing_since: null, created_at: o.now, updated_at: o.now,
    }))).execute()
    const events = Array.from({ length: o.eventsEach }, () => newId('evt', o.now))
    await db.db.insertInto('events').values(events.map((id) => ({
      id, user_id: userId, type: 'email.received', schema_version: 1, occurred_at: o.now, received_at: o.now, payload: JSON.stringify({ id, type: 'email.received', data: {} }),
    }))).execute()
    const deliveries = events.flatMap((eventId) => endpoints.map((ep) => {
      pairs.push(`${ep.path}|${eventId}`)
      return {
        id: newId('dlv', o.now), event_id: eventId, endpoint_id: ep.id, user_id: userId, event_type: 'email.received', status: 'pending', attempts: 0,
        next_attempt_at: o.now, lease_owner: null, last_status_code: null, last_error: null, last_attempt_at: null, last_duration_ms: null, created_at: o.now, updated_at: o.now,
      }
    }))
    for (let i = 0; i < deliveries.length; i += 200) await db.db.insertInto('deliveries').values(deliveries.slice(i, i + 200)).execute()
  }
  return pairs
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const countSucceeded = async (db: Db) =>
  Number((await db.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'succeeded').executeTakeFirstOrThrow()).n)

describe.runIf(dialects().includes('mysql'))('mysql: worker processes', () => {
  const t = useTestDb('mysql')
  let receiver: Awaited<ReturnType<typeof countingReceiver>>
  const workers: Worker[] = []
  beforeAll(async () => { receiver = await countingReceiver(5) })
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    await receiver.close()
  })

  it('four workers drain one queue: every pair delivered once, never twice at the same time', async () => {
    const pairs = await seedQueue(t.db, { receiverUrl: receiver.url, users: 4, endpointsEach: 3, eventsEach: 100, now: Date.now() })
    expect(pairs).toHaveLength(1200)
    const started = Date.now()
    const four = [0, 1, 2, 3].map(() => startWorker(t.url, {}))
    workers.push(...four)
    await waitUntil(async () => (await countSucceeded(t.db)) === 1200, 40_000, 'all 1200 deliveries')
    const drainMs = Date.now() - started
    for (const w of four) w.child.kill('SIGTERM')
    expect(await Promise.all(four.map((w) => w.exited))).toEqual([0, 0, 0, 0])
    for (const w of four) expect(w.output()).toMatch(/stopped: \d+ claimed/)
    const claimedBy = four.map((w) => Number(/stopped: (\d+) claimed/.exec(w.output())![1]))
    expect(claimedBy.reduce((a, b) => a + b, 0)).toBe(1200)
    expect(claimedBy.filter((n) => n > 0).length).toBeGreaterThan(1)
    expect(receiver.stats.maxSameDelivery).toBe(1)
    expect(new Set(receiver.stats.keys)).toEqual(new Set(pairs))
    expect(receiver.stats.count).toBe(1200)
    const attempts = await t.db.db.selectFrom('delivery_attempts').select('delivery_id').execute()
    expect(attempts).toHaveLength(1200)
    console.log(`four workers delivered 1200 in ${drainMs} ms (including process start); claims per worker ${claimedBy.join(', ')}`)
  }, 60_000)

  it("a worker killed mid-delivery leaves its claims to another worker once the lease runs out", async () => {
    const slow = await countingReceiver(1000)
    try {
      const env = { QSM_LEASE_MS: '4000', QSM_DELIVERY_TIMEOUT_MS: '2s' }
      const pairs = await seedQueue(t.db, { receiverUrl: slow.url, users: 1, endpointsEach: 1, eventsEach: 20, now: Date.now() })
      const doomed = startWorker(t.url, env)
      workers.push(doomed)
      await waitUntil(async () => slow.stats.count >= 8, 20_000, 'the first sends')
      doomed.child.kill('SIGKILL')
      const killedAt = Date.now()
      await doomed.exited
      const inFlightWhenKilled = new Set(slow.stats.arrivals.map((a) => a.key))
      const rescuer = startWorker(t.url, env)
      workers.push(rescuer)
      await waitUntil(async () => (await countSucceeded(t.db)) === 20, 30_000, 'all 20 deliveries')
      rescuer.child.kill('SIGTERM')
      expect(await rescuer.exited).toBe(0)
      expect(new Set(slow.stats.keys)).toEqual(new Set(pairs))
      // The killed worker's sends came again, with the same idempotency key, only after its lease.
      const firstAt = new Map<string, number>()
      for (const a of slow.stats.arrivals) {
        const first = firstAt.get(a.key)
        if (first === undefined) { firstAt.set(a.key, a.at); continue }
        expect(inFlightWhenKilled.has(a.key)).toBe(true)
        expect(a.at - first).toBeGreaterThanOrEqual(3000)
      }
      expect(slow.stats.count).toBe(20 + inFlightWhenKilled.size)
      expect(slow.stats.maxSameDelivery).toBe(1)
      const rows = await t.db.db.selectFrom('deliveries').select(['attempts', 'lease_owner']).execute()
      expect(rows.every((r) => Number(r.attempts) === 1 && r.lease_owner === null)).toBe(true)
      console.log(`killed worker had ${inFlightWhenKilled.size} sends in flight; all 20 delivered ${Date.now() - killedAt} ms after the kill`)
    } finally {
      await slow.close()
    }
  }, 60_000)
})
