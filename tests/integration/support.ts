// Helpers of the integration tests: worker processes, a bulk-seeded queue, polling the database.
import { spawn, type ChildProcess } from 'node:child_process'
import type { Db } from '../../server/db/connect.js'
import { newId } from '../../server/db/ids.js'
import { encryptSecret, generateSecret } from '../../server/crypto/secrets.js'
import { TEST_SECRETS } from '../helpers/config.js'

export interface Worker {
  child: ChildProcess
  output(): string
  exited: Promise<number | null>
}

export function startWorker(url: string, env: Record<string, string>): Worker {
  let out = ''
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'worker'], {
    env: {
      ...process.env, ...TEST_SECRETS, QSM_DATABASE_URL: url, QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_LOG_LEVEL: 'warn',
      QSM_CONCURRENCY: '8', QSM_USER_CONCURRENCY: '8', QSM_ENDPOINT_CONCURRENCY: '8', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

/** `users` users with `endpointsEach` endpoints on the receiver and `eventsEach` events each, every event to every endpoint of its user. */
export async function seedQueue(db: Db, o: { receiverUrl: string; users: number; endpointsEach: number; eventsEach: number; now: number }) {
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

export { waitUntil } from '../helpers/wait.js'

export const countSucceeded = async (db: Db) =>
  Number((await db.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'succeeded').executeTakeFirstOrThrow()).n)
