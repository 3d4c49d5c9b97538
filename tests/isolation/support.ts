// Shared pieces of the tenant-isolation tests: a signed ingest through the real bridge route, a
// receiver that answers at once on some paths and never on others, and timing helpers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sign } from '../../server/signing/sign.js'
import { EXAMPLES } from '../../server/events/examples.js'
import { newId } from '../../server/db/ids.js'
import type { TestApp } from '../helpers/app.js'

/** POSTs one email.failed event for `userId` as the bridge would; answers its id and when it was sent. */
export async function ingest(app: TestApp, userId: string): Promise<{ id: string; at: number }> {
  const event = { ...structuredClone(EXAMPLES['email.failed']), id: newId('evt'), user_id: userId }
  const text = JSON.stringify(event)
  const ts = Math.floor(app.clock.now() / 1000)
  const at = Date.now()
  const res = await app.app.request('/v1/events', {
    method: 'POST', body: text,
    headers: { 'content-type': 'application/json', 'webhook-id': event.id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(Buffer.from(app.deps.config.bridgeSecret, 'utf8'), event.id, ts, text) },
  })
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
  return { id: event.id, at }
}

export interface Arrival { path: string; at: number; eventId: string; headers: Record<string, string>; body: string }

/**
 * One loopback server for every tenant (so they share an origin, as two users of one SaaS host
 * would): paths starting /hang never answer, paths /slow-<ms>… answer after that many ms, the rest
 * answer 200 at once. Records arrivals and the most requests in flight per path prefix.
 */
export async function tenantReceiver() {
  const arrivals: Arrival[] = []
  const inFlight = new Map<string, number>()
  const maxInFlight = new Map<string, number>()
  const hanging = new Set<ServerResponse>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? ''
      const group = path.split('/')[1]!.split('-')[0]!
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v)
      arrivals.push({ path, at: Date.now(), eventId: String(req.headers['webhook-id'] ?? ''), headers, body: Buffer.concat(chunks).toString('utf8') })
      const n = (inFlight.get(group) ?? 0) + 1
      inFlight.set(group, n)
      maxInFlight.set(group, Math.max(maxInFlight.get(group) ?? 0, n))
      const done = () => inFlight.set(group, (inFlight.get(group) ?? 1) - 1)
      if (path.startsWith('/hang')) { hanging.add(res); res.on('close', done); return }
      const slow = /^\/slow-(\d+)/.exec(path)
      const answer = () => { done(); res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok') }
      if (slow) setTimeout(answer, Number(slow[1]))
      else answer()
    })
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    arrivals,
    maxInFlight,
    /** Resolves with the first arrival matching `test`, or rejects after timeoutMs. */
    async waitFor(test: (a: Arrival) => boolean, timeoutMs = 5_000): Promise<Arrival> {
      const until = Date.now() + timeoutMs
      while (Date.now() < until) {
        const hit = arrivals.find(test)
        if (hit) return hit
        await sleep(5)
      }
      throw new Error(`no matching request within ${timeoutMs} ms (got ${arrivals.length}: ${arrivals.slice(-5).map((a) => a.path).join(', ')})`)
    },
    /** Ends every hanging request (so senders finish at once) and stops the server. */
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    hangUp() {
      for (const res of hanging) res.destroy()
      hanging.clear()
    },
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Endpoints through the real API; answers their ids. */
export async function endpoints(app: TestApp, userId: string, urls: string[]): Promise<string[]> {
  const ids: string[] = []
  for (const url of urls) {
    const res = await app.call(userId, 'POST', '/v1/webhooks', { url, event_types: ['*'] })
    if (res.status !== 201) throw new Error(`endpoint not created: ${res.status} ${JSON.stringify(res.json)}`)
    ids.push(res.json.id)
  }
  return ids
}
