// HTTP hardening proved over a real socket (tests/server/http/hardening.test.ts covers the same
// rules through app.request(), where there is no client address and no wire format).
import { request as httpRequest } from 'node:http'
import { connect as netConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp, type TestApp } from '../helpers/app.js'
import { bridgeHeaders, exampleEvent } from '../reliability/support.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One request from a chosen loopback source address (127.0.0.0/8 is all local on Linux). */
function send(port: number, opts: { path: string; method?: string; headers?: Record<string, string>; body?: string | Buffer; from?: string; chunked?: boolean }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.from, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      },
    )
    req.on('error', reject)
    if (opts.body !== undefined && opts.chunked) {
      // No Content-Length: the limit must hold on a streamed body too.
      const buf = Buffer.from(opts.body)
      for (let i = 0; i < buf.length; i += 16_384) req.write(buf.subarray(i, i + 16_384))
      req.end()
    } else {
      // The whole body at once: Node states its Content-Length, as the bridge's curl does.
      req.end(opts.body)
    }
  })
}

/** Raw bytes on a socket; resolves with whatever the server answered before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (c) => (out += c))
    socket.on('close', () => resolve(out))
    socket.on('error', () => resolve(out))
    socket.write(bytes)
    setTimeout(() => socket.end(), 500)
  })
}

describe('HTTP hardening over a real socket', () => {
  const t = useTestDb('sqlite')
  let app: TestApp
  let server: ServerType
  let port: number

  beforeAll(async () => {
    // Set after useTestDb's beforeAll has opened the database.
  })

  async function start(env: Record<string, string>) {
    app = makeTestApp(t.db, { env })
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        port = info.port
        resolve()
      })
    })
  }
  async function stop() {
    await new Promise<void>((r) => server.close(() => r()))
  }
  afterAll(async () => {
    if (server?.listening) await stop()
  })

  it('limits each client address per minute with 429 + Retry-After, counting addresses apart', async () => {
    await start({ QSM_RATE_LIMIT_PER_IP: '3' })
    app.clock.set(Date.UTC(2026, 10, 28, 12, 0, 30))
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await send(port, { path: '/v1/webhooks', from: '127.0.0.1' })).status)
    expect(statuses).toEqual([401, 401, 401, 429, 429])
    const limited = await send(port, { path: '/v1/webhooks', from: '127.0.0.1' })
    expect(limited.headers['retry-after']).toBe('30')
    expect(JSON.parse(limited.body).error.code).toBe('rate_limited')
    // Another address has its own budget.
    expect((await send(port, { path: '/v1/webhooks', from: '127.0.0.2' })).status).toBe(401)
    // The signed ingest is never limited per address.
    const body = JSON.stringify(exampleEvent())
    const ingest = await send(port, { path: '/v1/events', method: 'POST', headers: bridgeHeaders(body, app.clock.now()), body, from: '127.0.0.1' })
    expect(ingest.status).toBe(202)
    // Next minute, the first address may call again.
    app.clock.advance(30_000)
    expect((await send(port, { path: '/v1/webhooks', from: '127.0.0.1' })).status).toBe(401)
    await stop()
  })

  // Fixed (docs/reliability.md, "X-Forwarded-For: the first entry was trusted"): behind the
  // loopback proxy, the key is the LAST X-Forwarded-For entry, the one the proxy appended. A
  // client that writes its own header ("10.9.9.N, <real address>") no longer gets a fresh budget.
  it('keys the per-IP limit on the address the proxy appended, not on one the client wrote', async () => {
    await start({ QSM_RATE_LIMIT_PER_IP: '3' })
    app.clock.set(Date.UTC(2026, 10, 28, 12, 0, 30))
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await send(port, { path: '/v1/webhooks', headers: { 'x-forwarded-for': `10.9.9.${i}, 203.0.113.7` } })).status)
    expect(statuses).toEqual([401, 401, 401, 429, 429])
    // Another real client behind the same proxy still has its own budget.
    expect((await send(port, { path: '/v1/webhooks', headers: { 'x-forwarded-for': '203.0.113.7, 203.0.113.8' } })).status).toBe(401)
    await stop()
  })

  it('sends the security headers and the CORS answer on the wire', async () => {
    await start({ QSM_DASHBOARD_ORIGIN: 'https://mail.example.com' })
    const plain = await send(port, { path: '/healthz' })
    expect(plain.headers['x-content-type-options']).toBe('nosniff')
    expect(plain.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(plain.headers['strict-transport-security']).toMatch(/max-age=/)
    expect(plain.headers['x-powered-by']).toBeUndefined()
    const preflight = (origin: string) =>
      send(port, { path: '/v1/webhooks', method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' } })
    expect((await preflight('https://mail.example.com')).headers['access-control-allow-origin']).toBe('https://mail.example.com')
    const evil = await preflight('https://evil.example')
    expect(evil.headers['access-control-allow-origin']).toBeUndefined()
    expect(evil.headers['access-control-allow-credentials']).toBeUndefined()
    await stop()
  })

  it('refuses an ingest body over 64 KB with 413, with and without Content-Length, and stays up', async () => {
    await start({})
    const event = exampleEvent()
    const big = JSON.stringify({ events: Array.from({ length: 100 }, () => ({ ...event, id: event.id })) }) + ' '.repeat(70_000)
    for (const chunked of [false, true]) {
      const res = await send(port, { path: '/v1/events', method: 'POST', headers: bridgeHeaders(big, app.clock.now()), body: big, chunked })
      expect(res.status, `chunked=${chunked}`).toBe(413)
      expect(JSON.parse(res.body).error.code).toBe('payload_too_large')
    }
    expect((await send(port, { path: '/healthz' })).status).toBe(200)
    await stop()
  })

  it('refuses a body that states more than 64 KB at once, before any of it is sent', async () => {
    await start({})
    const started = Date.now()
    const answer = await raw(port, 'POST /v1/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer).toContain('payload_too_large')
    expect(Date.now() - started).toBeLessThan(2_000)
    await stop()
  })

  it('answers malformed HTTP with a 400 or a closed socket, and keeps serving', async () => {
    await start({})
    const answers = await Promise.all([
      raw(port, 'GARBAGE\r\n\r\n'),
      raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
      raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n' + 'X-Big: ' + 'a'.repeat(20_000) + '\r\n\r\n'),
      raw(port, 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'),
      raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n'),
    ])
    for (const a of answers) expect(a === '' || /^HTTP\/1\.1 (400|413|431|200) /.test(a), a.slice(0, 80)).toBe(true)
    expect((await send(port, { path: '/healthz' })).status).toBe(200)
    await stop()
  })

  it('answers a 30 MB unauthenticated upload with 401 or 413 without reading it all', async () => {
    await start({})
    const started = Date.now()
    const res = await send(port, { path: '/v1/webhooks', method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(30_000_000, 0x61) }).catch((err: Error) => ({ status: -1, headers: {}, body: err.message }))
    // The 413 (body limit), the 401, or the server cutting the upload short; never taken as input.
    expect([401, 413, -1], `${res.status} ${res.body.slice(0, 200)}`).toContain(res.status)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect((await send(port, { path: '/healthz' })).status).toBe(200)
    await stop()
  })
})
