// The ledger: what the server accepted against what the receivers got.
//
// Every fault test ends with checkLedger(). It takes the events the server acknowledged (202/200),
// the endpoints that existed, and what a loopback receiver recorded, and reports:
//   missing       (event, endpoint) pairs that should have been delivered (2xx) and never were
//   unexpected    deliveries to an endpoint whose filter does not match, or of an event never accepted
//   duplicates    a pair answered 2xx more than once (allowed only when the test crashed something)
//   keyMismatch   a pair whose attempts did not all carry the same webhook-id / X-QSM-Event-Id
//   badSignature  an attempt whose webhook-signature does not verify with the endpoint's secret
// A pair is identified by the event id inside the signed body plus the endpoint (by URL path), so
// the check does not depend on how the server spells its idempotency key.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { endpointWants, isOperationalType } from '../../server/events/types.js'
import { secretKey } from '../../server/signing/sign.js'
import { verify } from '../../server/signing/verify.js'

export type LedgerReply = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | { hang: true } | { reset: true }

export interface LedgerHit {
  /** The path the request went to (one path per endpoint). */
  path: string
  eventId: string | null
  webhookId: string | null
  qsmEventId: string | null
  timestamp: string | null
  signature: string | null
  body: string
  /** What the receiver answered; null for a hang or reset. */
  answered: number | null
  at: number
}

export interface LedgerReceiver {
  url: string
  port: number
  hits: LedgerHit[]
  /** Decides each answer; `n` counts earlier hits for the same (path, event id). */
  reply: (hit: LedgerHit, n: number) => LedgerReply
  /** Resolves once `predicate(hits)` is true. */
  until(predicate: (hits: LedgerHit[]) => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** A loopback HTTP receiver that records every request with the answer it gave. */
export async function startLedgerReceiver(reply: LedgerReceiver['reply'] = () => ({ status: 200, body: 'ok' })): Promise<LedgerReceiver> {
  const hits: LedgerHit[] = []
  const seen = new Map<string, number>()
  const hanging = new Set<ServerResponse>()
  const waiters = new Set<() => void>()

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let eventId: string | null = null
      try {
        eventId = (JSON.parse(body) as { id?: string }).id ?? null
      } catch {
        eventId = null
      }
      const h = (name: string) => (req.headers[name] as string | undefined) ?? null
      const hit: LedgerHit = {
        path: req.url ?? '', eventId, webhookId: h('webhook-id'), qsmEventId: h('x-qsm-event-id'), timestamp: h('webhook-timestamp'),
        signature: h('webhook-signature'), body, answered: null, at: Date.now(),
      }
      const key = `${hit.path} ${eventId}`
      const n = seen.get(key) ?? 0
      seen.set(key, n + 1)
      const r = receiver.reply(hit, n)
      hits.push(hit)
      for (const w of waiters) w()
      if ('hang' in r) {
        hanging.add(res)
        return
      }
      if ('reset' in r) {
        req.socket.destroy()
        return
      }
      const send = () => {
        // An answer written after the sender gave up (its timeout closed the socket) was never
        // received; it does not count as a delivery.
        if (res.destroyed || req.socket.destroyed) return
        hit.answered = r.status
        res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers })
        res.end(r.body ?? '')
        for (const w of waiters) w()
      }
      if (r.delayMs) setTimeout(send, r.delayMs)
      else send()
    })
  }
  const server = createServer(handle)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const receiver: LedgerReceiver = {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    reply,
    until(predicate, timeoutMs = 20_000) {
      if (predicate(hits)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(hits)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`receiver condition not met in ${timeoutMs} ms (${hits.length} hits)`))
        }, timeoutMs)
        waiters.add(check)
      })
    },
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
  return receiver
}

export interface LedgerEndpoint {
  id: string
  userId: string
  url: string
  patterns: string[]
  /** The endpoint's whsec_ secret(s); when given, every attempt's signature is checked. */
  secrets?: string[]
}

export interface LedgerEvent {
  id: string
  user_id: string
  type: string
}

export interface LedgerReport {
  expected: number
  delivered: number
  attempts: number
  missing: string[]
  unexpected: string[]
  duplicates: string[]
  keyMismatch: string[]
  badSignature: string[]
  /** endpoint.* events the server raised itself about a failing endpoint: not the bridge's, not counted above. */
  operational: number
}

/** An endpoint.failing/disabled/recovered event (health-alerts.ts), told apart by its type. */
function isOperationalHit(hit: LedgerHit): boolean {
  try {
    return isOperationalType(String((JSON.parse(hit.body) as { type?: unknown }).type))
  } catch {
    return false
  }
}

export function checkLedger(input: { accepted: LedgerEvent[]; endpoints: LedgerEndpoint[]; hits: LedgerHit[] }): LedgerReport {
  const byPath = new Map(input.endpoints.map((e) => [new URL(e.url).pathname + new URL(e.url).search, e]))
  const accepted = new Map(input.accepted.map((e) => [e.id, e]))
  const expected = new Set<string>()
  for (const ev of accepted.values()) {
    for (const ep of input.endpoints) if (ep.userId === ev.user_id && endpointWants(ep.patterns, ev.type)) expected.add(`${ev.id}@${ep.id}`)
  }
  const ok = new Map<string, number>()
  const keys = new Map<string, Set<string>>()
  const report: LedgerReport = { expected: expected.size, delivered: 0, attempts: input.hits.length, missing: [], unexpected: [], duplicates: [], keyMismatch: [], badSignature: [], operational: 0 }
  for (const hit of input.hits) {
    if (isOperationalHit(hit)) {
      report.operational += 1
      report.attempts -= 1
      continue
    }
    const ep = byPath.get(hit.path)
    const pair = `${hit.eventId}@${ep?.id ?? hit.path}`
    if (!ep || !expected.has(pair)) {
      report.unexpected.push(pair)
      continue
    }
    const k = keys.get(pair) ?? new Set()
    k.add(`${hit.webhookId}|${hit.qsmEventId ?? ''}`)
    keys.set(pair, k)
    if (ep.secrets?.length) {
      let good = false
      for (const s of ep.secrets) {
        try {
          verify([secretKey(s)], { id: hit.webhookId, timestamp: hit.timestamp, signature: hit.signature, body: hit.body }, Number(hit.timestamp) * 1000, 300)
          good = true
        } catch {
          /* try the next secret */
        }
      }
      if (!good) report.badSignature.push(pair)
    }
    if (hit.answered !== null && hit.answered >= 200 && hit.answered < 300) ok.set(pair, (ok.get(pair) ?? 0) + 1)
  }
  for (const pair of expected) {
    const n = ok.get(pair) ?? 0
    if (n === 0) report.missing.push(pair)
    else report.delivered += 1
    if (n > 1) report.duplicates.push(`${pair} (${new URL(input.endpoints.find((e) => pair.endsWith('@' + e.id))!.url).pathname}) x${n}`)
  }
  for (const [pair, k] of keys) {
    if (k.size > 1) report.keyMismatch.push(`${pair}: ${[...k].join(' / ')}`)
    const eventId = pair.split('@')[0]
    for (const v of k) {
      const qsm = v.split('|')[1]
      if (qsm && qsm !== eventId) report.keyMismatch.push(`${pair}: X-QSM-Event-Id ${qsm}`)
    }
  }
  return report
}

/**
 * How many expected pairs (an accepted event at an endpoint that wants it) were answered 2xx so
 * far: what a test waits for before it checks the ledger. Cheap (no signatures). Not "every 2xx":
 * the endpoint.failing/recovered events the server sends to `*` endpoints when an endpoint's health
 * changes would make up the count while a real pair still waits for its retry.
 */
export function deliveredPairs(input: { accepted: LedgerEvent[]; endpoints: LedgerEndpoint[]; hits: LedgerHit[] }): number {
  const want = new Set<string>()
  for (const ev of input.accepted) {
    for (const ep of input.endpoints) {
      if (ep.userId === ev.user_id && endpointWants(ep.patterns, ev.type)) want.add(`${new URL(ep.url).pathname + new URL(ep.url).search} ${ev.id}`)
    }
  }
  const got = new Set<string>()
  for (const h of input.hits) {
    const key = `${h.path} ${h.eventId}`
    if (h.answered !== null && h.answered >= 200 && h.answered < 300 && want.has(key)) got.add(key)
  }
  return got.size
}

/** A one-line summary for failure messages and the docs. */
export function describeLedger(r: LedgerReport): string {
  const head = `${r.delivered}/${r.expected} delivered in ${r.attempts} attempts`
  const parts = [
    r.missing.length ? `missing ${r.missing.length}: ${r.missing.slice(0, 5).join(', ')}` : '',
    r.unexpected.length ? `unexpected ${r.unexpected.length}: ${r.unexpected.slice(0, 5).join(', ')}` : '',
    r.duplicates.length ? `duplicates ${r.duplicates.length}: ${r.duplicates.slice(0, 5).join(', ')}` : '',
    r.keyMismatch.length ? `key mismatch ${r.keyMismatch.length}: ${r.keyMismatch.slice(0, 3).join(', ')}` : '',
    r.badSignature.length ? `bad signature ${r.badSignature.length}` : '',
  ].filter(Boolean)
  return [head, ...parts].join('; ')
}

/**
 * A TCP server that reads one HTTP request per connection and answers with raw bytes from
 * `answer(n)` (n = requests so far), then closes: for garbage, truncated or non-HTTP answers.
 * Requests are recorded as LedgerHits, answered = the status in the bytes if they parse, else null.
 */
export async function startRawReceiver(answer: (n: number) => string): Promise<{ url: string; hits: LedgerHit[]; close(): Promise<void> }> {
  const { createServer: createTcpServer } = await import('node:net')
  const hits: LedgerHit[] = []
  const sockets = new Set<import('node:net').Socket>()
  const server = createTcpServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buf.subarray(0, end).toString('latin1')
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
      if (buf.length < end + 4 + length) return
      const body = buf.subarray(end + 4, end + 4 + length).toString('utf8')
      buf = Buffer.alloc(0)
      const h = (name: string) => new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1] ?? null
      let eventId: string | null = null
      try {
        eventId = (JSON.parse(body) as { id?: string }).id ?? null
      } catch {
        /* not JSON */
      }
      const reply = answer(hits.length)
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(reply)?.[1]
      hits.push({
        path: head.split(' ')[1] ?? '', eventId, webhookId: h('webhook-id'), qsmEventId: h('x-qsm-event-id'), timestamp: h('webhook-timestamp'),
        signature: h('webhook-signature'), body, answered: status ? Number(status) : null, at: Date.now(),
      })
      socket.end(reply)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
