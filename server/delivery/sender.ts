// Outbound HTTP with undici Pool.request (keep-alive, no fetch). Each send resolves the host once
// through the address policy and connects to exactly that checked address, so a DNS answer that
// changes between the check and the connect (rebinding) cannot reach a private address. Redirects
// are not followed and at most 4 KB of the answer is read. An attempt is two bounded steps: the
// lookup (at most LOOKUP_DEADLINE_MS), then the request, which has one deadline of the delivery
// timeout for connect, headers and body together, starting when it is dispatched — a slow DNS
// server does not eat the receiver's time. send() never throws: every failure comes back as a
// SendResult with an ErrorClass.
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import { isIP, type LookupFunction } from 'node:net'
import type { Pool } from 'undici'
import { resolveTarget, type Resolver } from '../net/address-policy.js'
import { LOOKUP_DEADLINE_MS, lookupError } from '../net/dns-resolver.js'
import { describeSendError, type Target } from './send-errors.js'
import type { Sender, SendRequest, SendResult } from './types.js'

/** Bytes of the answer read at most; the rest is discarded with the connection. */
export const RESPONSE_READ_BYTES = 4096
/** The start of the answer kept with each attempt (delivery log, test result); docs/reference.md. */
export const EXCERPT_CHARS = 1024
/**
 * Pools kept open, one per tenant, origin and checked address; the least recently used is closed
 * first (close() lets its requests in flight finish). Keyed by tenant so that two users never wait
 * on each other's sockets: a hanging receiver one user shares an origin with fills only that
 * user's pool.
 *
 * How many: eight per QSM_CONCURRENCY slot, from 32 to 256. At most 4 × that many requests are in
 * flight (waiting ones leave the cap), so the pools sending always fit; the rest are kept only so
 * the next send to that tenant and origin finds its socket open. Each kept pool costs ~45 KB of
 * the web process's peak (undici's 2,048-slot request queue, the client and its socket, and the
 * heap's room over them): with the default 4 sends at once and 300 busy users, 256 pools took the
 * peak from 140 to 150–153 MB (bench/README.md, "Overload").
 */
export function maxPools(concurrency: number): number {
  return Math.min(256, Math.max(32, 8 * concurrency))
}
const KEEP_ALIVE_MS = 30_000

/**
 * The longest one send() takes with this delivery timeout: the lookup, then the request. The
 * runner starts a send only with this much (plus a margin) left on its lease.
 */
export function sendBoundMs(timeoutMs: number): number {
  return LOOKUP_DEADLINE_MS + timeoutMs
}

/**
 * The host's address, or a DnsLookupError (ETIMEOUT) after LOOKUP_DEADLINE_MS, whatever the
 * resolver is still doing: the wait for the tenant's lookup slot counts too, and a resolver
 * handed in (tests) may have no deadline of its own.
 */
async function resolveWithin(host: string, allowPrivate: boolean, resolve: Resolver | undefined, tenant: string | undefined) {
  // An IP literal (URL hostnames are canonical: "127.1" is already 127.0.0.1) needs no lookup
  // and no timer.
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return resolveTarget(host, allowPrivate, resolve, tenant)
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(lookupError(host, 'ETIMEOUT')), LOOKUP_DEADLINE_MS)
  })
  try {
    return await Promise.race([resolveTarget(host, allowPrivate, resolve, tenant), late])
  } finally {
    clearTimeout(timer)
  }
}

/** Retry-After as ms from now: delta seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return null
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs)
}

/**
 * The answer's first RESPONSE_READ_BYTES, read with 'data' listeners rather than `for await`: the
 * async iterator cost ~10 µs of CPU per send (bench/tools/sender-micro.ts, 38–44 → 29–34 µs per
 * request), a fifth of a send's own work. Rejects when the body breaks off.
 */
function readCapped(body: NodeJS.ReadableStream & { destroy(): unknown }): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    // Once: 'end' is followed by 'close', and a capped read's destroy() also ends in 'close'.
    const done = () => {
      if (settled) return
      settled = true
      resolve(Buffer.concat(chunks).subarray(0, RESPONSE_READ_BYTES).toString('utf8'))
    }
    body.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      // Enough: the rest is dropped with the connection, so a receiver cannot make us download a
      // huge answer.
      if (size >= RESPONSE_READ_BYTES) { done(); body.destroy() }
    })
    body.on('error', (err) => { settled = true; reject(err) })
    // 'end' for a whole body; 'close' also for one destroyed without an error.
    body.on('end', done)
    body.on('close', done)
  })
}

const header = (h: Record<string, string | string[] | undefined>, name: string) => {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

/** Where a redirect points, without its query or fragment (they may carry the receiver's tokens). */
function redirectTarget(location: string, base: URL): string {
  try {
    const u = new URL(location, base)
    return (u.origin + u.pathname).slice(0, 200)
  } catch {
    return location.split(/[?#]/)[0]!.slice(0, 200)
  }
}

type Undici = typeof import('undici')
let undici: Undici | undefined

/**
 * undici (~1 MB of JavaScript) is loaded on the first send, not at start: a web process with
 * nothing to deliver never needs it, and parsing it was a tenth of the idle process's memory.
 */
async function loadUndici(): Promise<Undici> {
  const mod = await import('undici')
  // A CommonJS package: Node's import() names its exports, an esbuild chunk has them on `default`.
  return (undici = typeof mod.Pool === 'function' ? mod : (mod as unknown as { default: Undici }).default)
}

/**
 * One deadline for the whole request (connect, headers, body), as the `signal` undici's request()
 * takes: its documented type is AbortSignal or EventEmitter, and it reads `aborted`/`reason` and
 * listens for 'abort' on either. An EventEmitter costs less per request than AbortController +
 * AbortSignal (EventTarget listeners, 1.5 % of a draining worker's CPU in the bench profile). The
 * reason is an AbortError, so describeSendError reports it as a timeout, as before.
 */
class Deadline extends EventEmitter {
  aborted = false
  reason: Error | undefined
  private readonly timer: NodeJS.Timeout

  constructor(ms: number) {
    super()
    this.timer = setTimeout(() => {
      this.aborted = true
      this.reason = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' })
      this.emit('abort')
    }, ms)
  }

  clear(): void {
    clearTimeout(this.timer)
  }
}

/** `resolve` replaces the system resolver (tests: a name whose answer changes between lookups). */
export function createUndiciSender(opts: { allowPrivateTargets: boolean; concurrency: number; resolve?: Resolver }): Sender {
  /** Connection pools by tenant, origin and address; `used` orders them for eviction (poolFor). */
  const pools = new Map<string, { pool: Pool; used: number }>()
  const poolLimit = maxPools(opts.concurrency)
  let uses = 0

  function poolFor(Pool: Undici['Pool'], tenant: string, origin: string, address: string, family: 4 | 6, connectTimeoutMs: number): Pool {
    const key = `${tenant}|${origin}|${address}`
    const known = pools.get(key)
    if (known) {
      // A use stamp, not a move to the Map's end: deleting and re-adding the key on every send
      // made V8 shrink and regrow the Map's table each time (~1 MB per 8 s at 300 ev/s moved to the
      // old generation, V8's sampling heap profiler). The oldest is found by a scan when one must
      // go, which happens only when a new pool is made beyond the limit (maxPools).
      known.used = ++uses
      return known.pool
    }
    // The socket connects to the address the policy checked; TLS still verifies (and SNI names)
    // the URL's host name, because undici passes that as host/servername.
    const lookup: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }])
      else cb(null, address, family)
    }
    const pool = new Pool(origin, {
      // At least as many sockets as the tenant may have requests in flight (the limiter's caps),
      // so a request never queues for a socket and its deadline is spent on the request itself.
      connections: Math.max(1, opts.concurrency),
      keepAliveTimeout: KEEP_ALIVE_MS,
      connect: { timeout: connectTimeoutMs, lookup },
    })
    if (pools.size >= poolLimit) {
      let oldest: [string, { pool: Pool; used: number }] | undefined
      for (const entry of pools) if (!oldest || entry[1].used < oldest[1].used) oldest = entry
      if (oldest) {
        pools.delete(oldest[0])
        void oldest[1].pool.close().catch(() => {})
      }
    }
    pools.set(key, { pool, used: ++uses })
    return pool
  }

  async function send(req: SendRequest): Promise<SendResult> {
    // durationMs is the request's time from its dispatch (what the timeout bounds); an attempt
    // that fails before it (bad URL, lookup, blocked address) reports the time spent until then.
    let since = performance.now()
    const elapsed = () => Math.round(performance.now() - since)
    const failed = (errorClass: SendResult['errorClass'], error: string): SendResult => ({
      ok: false, statusCode: null, durationMs: elapsed(), errorClass, error, retryAfterMs: null, responseExcerpt: '',
    })
    let url: URL
    try {
      url = new URL(req.url)
    } catch {
      return failed('error', 'the endpoint URL is not valid')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return failed('error', 'the endpoint URL must start with http:// or https://')
    const port = url.port || (url.protocol === 'https:' ? '443' : '80')
    const target: Target = { host: url.hostname, where: `${url.hostname}:${port}` }
    let deadline: Deadline | undefined
    try {
      // Step 1, the lookup: bounded on its own (resolveWithin), outside the receiver's time.
      const resolved = await resolveWithin(url.hostname, opts.allowPrivateTargets, opts.resolve, req.tenant)
      target.where = `${isIP(resolved.address) === 6 ? `[${resolved.address}]` : resolved.address}:${port}`
      const { Pool } = undici ?? (await loadUndici())
      const pool = poolFor(Pool, req.tenant ?? '', url.origin, resolved.address, resolved.family, req.timeoutMs)
      // Step 2, the request: one deadline for all of it (connect, headers and body), from the
      // moment it is handed to the tenant's pool. undici's own timeouts are per phase and would
      // let a slow-drip receiver hold a slot far longer.
      since = performance.now()
      deadline = new Deadline(req.timeoutMs)
      const res = await pool.request({
        method: 'POST',
        path: url.pathname + url.search,
        headers: req.headers,
        body: req.body,
        signal: deadline,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      })
      const statusCode = res.statusCode
      // The status decides the outcome; a body that breaks off after it does not change that.
      const text = await readCapped(res.body).catch(() => '')
      const ok = statusCode >= 200 && statusCode < 300
      const retryAfterMs = ok ? null : parseRetryAfter(res.headers['retry-after'], Date.now())
      let error: string | null = null
      if (!ok) {
        const location = header(res.headers, 'location')
        error = statusCode >= 300 && statusCode < 400
          ? `HTTP ${statusCode}: redirects are not followed${location ? ` (it points to ${redirectTarget(location, url)})` : ''}`
          : `HTTP ${statusCode}`
      }
      return {
        ok, statusCode, durationMs: elapsed(), errorClass: ok ? null : 'http_error', error, retryAfterMs,
        responseExcerpt: text.slice(0, EXCERPT_CHARS),
      }
    } catch (err) {
      const d = describeSendError(err, target, req.timeoutMs)
      return failed(d.errorClass, d.error)
    } finally {
      deadline?.clear()
    }
  }

  return {
    send,
    async close() {
      const all = [...pools.values()]
      pools.clear()
      await Promise.all(all.map((p) => p.pool.close().catch(() => {})))
    },
  }
}
