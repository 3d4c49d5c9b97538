import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createUndiciSender, maxPools, parseRetryAfter, RESPONSE_READ_BYTES, sendBoundMs } from '../../../server/delivery/sender.js'
import { createDnsResolver, LOOKUP_DEADLINE_MS } from '../../../server/net/dns-resolver.js'
import { startReceiver, type Receiver } from '../../helpers/receiver.js'
import { startDnsServer } from '../../helpers/dns-server.js'
import { closedPort } from './helpers.js'

const req = (url: string, timeoutMs = 2000) => ({ url, headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs })

describe('createUndiciSender', () => {
  const sender = createUndiciSender({ allowPrivateTargets: true, concurrency: 4 })
  let receiver: Receiver
  let endless: Server
  let endlessUrl: string
  beforeAll(async () => {
    receiver = await startReceiver()
    // Answers 200 and then streams a body that never ends.
    endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      const chunk = Buffer.alloc(1024, 'x')
      const timer = setInterval(() => res.write(chunk), 1)
      res.on('close', () => clearInterval(timer))
    })
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve))
    endlessUrl = `http://127.0.0.1:${(endless.address() as AddressInfo).port}/`
  })
  afterAll(async () => {
    await sender.close()
    await receiver.close()
    endless.closeAllConnections()
    await new Promise((r) => endless.close(r))
  })

  it('reads at most 4 KB of an answer and stops, even when the body never ends', async () => {
    const started = Date.now()
    const result = await sender.send(req(endlessUrl, 5000))
    expect(result).toMatchObject({ ok: true, statusCode: 200, errorClass: null })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(result.responseExcerpt).toHaveLength(1024)
    expect(RESPONSE_READ_BYTES).toBe(4096)
  })

  it('keeps a 200 when the body breaks off after it, with no excerpt', async () => {
    const broken = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '500' })
      res.write('partial')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve))
    const result = await sender.send(req(`http://127.0.0.1:${(broken.address() as AddressInfo).port}/`))
    await new Promise((r) => broken.close(r))
    expect(result).toMatchObject({ ok: true, statusCode: 200, errorClass: null, responseExcerpt: '' })
  })

  it('ends a body still dripping at the timeout and keeps its status', async () => {
    const dripping = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' })
      const timer = setInterval(() => res.write('.'), 50)
      res.on('close', () => clearInterval(timer))
    })
    await new Promise<void>((resolve) => dripping.listen(0, '127.0.0.1', resolve))
    const started = Date.now()
    const result = await sender.send(req(`http://127.0.0.1:${(dripping.address() as AddressInfo).port}/`, 400))
    dripping.closeAllConnections()
    await new Promise((r) => dripping.close(r))
    expect(Date.now() - started).toBeLessThan(1500)
    expect(result).toMatchObject({ ok: false, statusCode: 502, errorClass: 'http_error', error: 'HTTP 502' })
  })

  it('keeps the URL host name as the Host header while connecting to the checked address', async () => {
    const result = await sender.send(req(`http://localhost:${receiver.port}/h?x=1`))
    expect(result.ok).toBe(true)
    const got = receiver.received.at(-1)!
    expect(got.headers.host).toBe(`localhost:${receiver.port}`)
    expect(got.path).toBe('/h?x=1')
  })

  it('names a refused connection with the address and port and asks about the firewall', async () => {
    const port = await closedPort()
    const result = await sender.send(req(`http://127.0.0.1:${port}/`))
    expect(result).toMatchObject({ ok: false, statusCode: null, errorClass: 'refused' })
    expect(result.error).toBe(`connection refused by 127.0.0.1:${port} — is the server running and the port open in its firewall?`)
  })

  it('reports a host name that does not resolve as a DNS failure', async () => {
    const result = await sender.send(req('http://no-such-host.invalid/'))
    expect(result).toMatchObject({ ok: false, errorClass: 'dns' })
    expect(result.error).toMatch(/^could not resolve host no-such-host\.invalid/)
  })

  it('reports https spoken to a plain HTTP port as a TLS problem', async () => {
    const result = await sender.send(req(`https://127.0.0.1:${receiver.port}/`))
    expect(result).toMatchObject({ ok: false, errorClass: 'tls' })
  })

  it('refuses private addresses unless they are allowed', async () => {
    const strict = createUndiciSender({ allowPrivateTargets: false, concurrency: 1 })
    const before = receiver.received.length
    const result = await strict.send(req(`http://localhost:${receiver.port}/`))
    await strict.close()
    expect(result).toMatchObject({ ok: false, errorClass: 'blocked' })
    expect(result.error).toMatch(/^blocked: localhost resolves to (127\.0\.0\.1|::1), a loopback address/)
    expect(receiver.received.length).toBe(before)
  })

  it('gives a URL it cannot use back as an error instead of throwing', async () => {
    expect(await sender.send(req('not a url'))).toMatchObject({ ok: false, errorClass: 'error', error: 'the endpoint URL is not valid' })
    expect(await sender.send(req('ftp://example.com/'))).toMatchObject({ ok: false, errorClass: 'error' })
  })

  it('passes a short excerpt of an error answer and its Retry-After', async () => {
    receiver.queue({ status: 503, body: 'e'.repeat(3000), headers: { 'retry-after': '120' } })
    const result = await sender.send(req(`${receiver.url}/`))
    expect(result).toMatchObject({ ok: false, statusCode: 503, errorClass: 'http_error', error: 'HTTP 503', retryAfterMs: 120_000 })
    expect(result.responseExcerpt).toBe('e'.repeat(1024))
  })
})

describe('createUndiciSender: the timeout starts when the request is dispatched', () => {
  // A DNS server that answers these names 700 ms late, and a 1 s delivery timeout.
  let dns: Awaited<ReturnType<typeof startDnsServer>>
  let receiver: Receiver
  let sender: ReturnType<typeof createUndiciSender>
  beforeAll(async () => {
    dns = await startDnsServer({ 'slow-a.test': '127.0.0.1', 'slow-b.test': '127.0.0.1' }, { delayMs: { 'slow-a.test': 700, 'slow-b.test': 700 } })
    receiver = await startReceiver()
    sender = createUndiciSender({ allowPrivateTargets: true, concurrency: 4, resolve: createDnsResolver({ servers: [dns.server] }) })
  })
  afterAll(async () => {
    await sender.close()
    await receiver.close()
    await dns.close()
  })

  it('gives the receiver its whole timeout after a slow lookup: 700 ms to resolve, 600 ms to answer, 1 s timeout → delivered', async () => {
    receiver.queue({ status: 200, body: 'ok', delayMs: 600 })
    const started = Date.now()
    const result = await sender.send(req(`http://slow-a.test:${receiver.port}/hook`, 1000))
    const wall = Date.now() - started
    expect(result).toMatchObject({ ok: true, statusCode: 200, errorClass: null, error: null })
    // The recorded duration is the request's (what the timeout bounds), not the lookup's too.
    expect(result.durationMs).toBeGreaterThanOrEqual(590)
    expect(result.durationMs).toBeLessThan(1000)
    expect(wall).toBeGreaterThanOrEqual(1250)
    expect(dns.asked).toContain('slow-a.test')
  })

  it('still ends the request itself at the timeout: after a 700 ms lookup, an answer taking 1.5 s is a timeout at 1 s', async () => {
    receiver.queue({ status: 200, body: 'late', delayMs: 1500 })
    const result = await sender.send(req(`http://slow-b.test:${receiver.port}/hook`, 1000))
    expect(result).toMatchObject({ ok: false, statusCode: null, errorClass: 'timeout', error: 'no response within 1 s' })
    expect(result.durationMs).toBeGreaterThanOrEqual(990)
    expect(result.durationMs).toBeLessThan(1400)
  })

  it('bounds the lookup on its own: a resolver that never answers fails as DNS after the lookup deadline', async () => {
    const stuck = createUndiciSender({ allowPrivateTargets: true, concurrency: 1, resolve: () => new Promise(() => {}) })
    const result = await stuck.send(req('http://never.test/', 1000))
    await stuck.close()
    expect(result).toMatchObject({ ok: false, errorClass: 'dns' })
    expect(result.error).toMatch(/^could not resolve host never\.test: .*ETIMEOUT/)
    expect(result.durationMs).toBeGreaterThanOrEqual(LOOKUP_DEADLINE_MS - 10)
    expect(result.durationMs).toBeLessThan(LOOKUP_DEADLINE_MS + 500)
    // The runner's start margin counts on this bound: lookup, then request.
    expect(sendBoundMs(1000)).toBe(LOOKUP_DEADLINE_MS + 1000)
  }, 10_000)
})

describe('connection pools', () => {
  it('keeps eight pools per send in flight, from 32 to 256', () => {
    expect([1, 4, 16, 64, 256].map(maxPools)).toEqual([32, 32, 128, 256, 256])
  })

  it(`keeps at most ${maxPools(1)} tenants' pools open with one send at a time, closing the one used longest ago`, async () => {
    const MAX_POOLS = maxPools(1)
    // One keep-alive socket per tenant; the server counts them and names each by its tenant.
    const open = new Map<string, number>()
    const server = createServer((r, res) => {
      const tenant = String(r.headers['x-tenant'])
      if (!open.has(tenant)) {
        open.set(tenant, (open.get(tenant) ?? 0) + 1)
        r.socket.once('close', () => open.set(tenant, open.get(tenant)! - 1))
      }
      res.end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const sender = createUndiciSender({ allowPrivateTargets: true, concurrency: 1 })
    const send = async (tenant: string) => {
      const result = await sender.send({ ...req(url), headers: { 'x-tenant': tenant }, tenant })
      expect(result.ok).toBe(true)
    }
    try {
      for (let i = 0; i < MAX_POOLS; i++) await send(`t${i}`)
      // t0 is used again, so t1 is now the one used longest ago.
      await send('t0')
      await send('new')
      await new Promise((r) => setTimeout(r, 200))
      const openNow = [...open].filter(([, n]) => n > 0).map(([t]) => t)
      expect(openNow).toHaveLength(MAX_POOLS)
      expect(openNow).toContain('t0')
      expect(openNow).toContain('new')
      expect(openNow).not.toContain('t1')
    } finally {
      await sender.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })
})

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0)
  it('reads delta seconds and HTTP dates, and ignores anything else', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000)
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:05:00 GMT', now)).toBe(300_000)
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(undefined, now)).toBeNull()
  })
})
