// Shared set-up for the delivery tests: a test app over the test database, endpoints made through
// the real API (so secrets are real and encrypted), queued deliveries, and one runner pass.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Db } from '../../../server/db/connect.js'
import { encryptSecret, generateSecret } from '../../../server/crypto/secrets.js'
import { runDue, type RunSummary } from '../../../server/delivery/runner.js'
import { makeTestApp, type TestApp } from '../../helpers/app.js'
import type { DepsParts } from '../../../server/deps.js'
import { seedEndpoint, seedPair } from '../../helpers/seed.js'
import { TEST_SECRETS } from '../../helpers/config.js'

export interface Harness extends TestApp {
  /** Adds an endpoint through POST /v1/webhooks; returns its id and secret. */
  endpoint(userId: string, url: string): Promise<{ id: string; secret: string }>
  /** An event and its pending delivery to `endpointId`, due now. */
  queue(userId: string, endpointId: string, opts?: { payload?: string | null }): Promise<{ eventId: string; deliveryId: string }>
  /** One runner pass that returns once nothing is due. */
  run(): Promise<RunSummary>
  delivery(id: string): Promise<any>
  attempts(deliveryId: string): Promise<any[]>
  endpointRow(id: string): Promise<any>
}

export function harness(db: Db, env: Record<string, string> = {}, deps: Partial<DepsParts> = {}): Harness {
  const t = makeTestApp(db, { env, deps })
  return {
    ...t,
    async endpoint(userId, url) {
      const res = await t.call(userId, 'POST', '/v1/webhooks', { url, event_types: ['*'] })
      if (res.status !== 201) throw new Error(`endpoint not created: ${res.status} ${JSON.stringify(res.json)}`)
      return { id: res.json.id, secret: res.json.secret }
    },
    queue: (userId, endpointId, opts = {}) => seedPair(db, { userId, endpointId, at: t.clock.now(), payload: opts.payload }),
    run: () => runDue(t.deps, { owner: 'test-runner', budgetMs: 20_000, stopWhenEmpty: true }),
    delivery: (id) => db.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    attempts: (id) => db.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', id).orderBy('attempt').execute(),
    endpointRow: (id) => db.db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
  }
}

/** An endpoint row written directly (for URLs the API would refuse, e.g. loopback with private targets off). */
export async function rawEndpoint(db: Db, userId: string, url: string): Promise<string> {
  return seedEndpoint(db, { userId, url, secretEnc: encryptSecret(generateSecret(), TEST_SECRETS.QSM_APP_KEY) })
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * A receiver that answers after `delayMs` and records the most requests it had in flight at once:
 * overall, per path, per group (the path up to its first "-", e.g. /u1-a and /u1-b are group /u1)
 * and for one delivery (path + webhook-id).
 */
export async function countingReceiver(delayMs: number) {
  let inFlight = 0
  const perKey = new Map<string, number>()
  const groupNow = new Map<string, number>()
  const pathNow = new Map<string, number>()
  const stats = {
    maxInFlight: 0, maxPerPath: new Map<string, number>(), maxPerGroup: new Map<string, number>(), maxSameDelivery: 0, count: 0,
    keys: new Set<string>(), arrivals: [] as { key: string; at: number }[],
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () => {
      const key = `${req.url}|${req.headers['webhook-id']}`
      const path = req.url ?? ''
      const group = path.split('-')[0]!
      const up = (m: Map<string, number>, k: string, by: number) => {
        const n = (m.get(k) ?? 0) + by
        if (n === 0) m.delete(k)
        else m.set(k, n)
        return n
      }
      inFlight += 1
      stats.count += 1
      stats.keys.add(key)
      stats.arrivals.push({ key, at: Date.now() })
      stats.maxSameDelivery = Math.max(stats.maxSameDelivery, up(perKey, key, 1))
      stats.maxPerPath.set(path, Math.max(stats.maxPerPath.get(path) ?? 0, up(pathNow, path, 1)))
      stats.maxPerGroup.set(group, Math.max(stats.maxPerGroup.get(group) ?? 0, up(groupNow, group, 1)))
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight)
      setTimeout(() => {
        inFlight -= 1
        up(perKey, key, -1)
        up(pathNow, path, -1)
        up(groupNow, group, -1)
        res.writeHead(200).end('ok')
      }, delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, stats, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }) }
}
