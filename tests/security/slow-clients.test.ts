// Slow clients ("slow-loris") over real sockets: many connections that dribble their headers or
// body must be closed after the receive limits, while everyone else is served at once. The limits
// are shortened here (the server's defaults are 15 s for headers, 30 s for the whole request).
import { connect as netConnect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { DEFAULT_RECEIVE_LIMITS, serverOptions } from '../../server/http/server-options.js'

const LIMITS = { headersTimeoutMs: 1000, requestTimeoutMs: 2000 }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A socket that sends `first` at once and then one byte of `drip` every `everyMs`; resolves when the server closes it. */
function dribble(port: number, first: string, drip: string, everyMs: number): { closed: Promise<{ afterMs: number; answer: string }>; socket: Socket } {
  const started = Date.now()
  const socket = netConnect(port, '127.0.0.1')
  let answer = ''
  let i = 0
  socket.setEncoding('utf8')
  socket.on('data', (d) => (answer += d))
  socket.on('error', () => {})
  socket.write(first)
  const timer = setInterval(() => {
    if (!socket.writable) return
    socket.write(drip[i % drip.length]!)
    i++
  }, everyMs)
  const closed = new Promise<{ afterMs: number; answer: string }>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ afterMs: Date.now() - started, answer })
    })
  })
  return { closed, socket }
}

describe('slow clients', () => {
  const t = useTestDb('sqlite')
  let server: ServerType
  let port = 0
  let token = ''

  beforeAll(async () => {
    const made = makeTestApp(t.db)
    const app = made.app
    token = await made.token('u1')
    await new Promise<void>((resolve) => {
      server = serve({
        // One extra route that takes longer to answer than the receive limit: a slow answer is fine.
        fetch: async (req) => (new URL(req.url).pathname === '/slow-answer' ? (await sleep(2500), new Response('done')) : app.fetch(req)),
        port: 0,
        hostname: '127.0.0.1',
        serverOptions: serverOptions(LIMITS),
      }, (info) => {
        port = info.port
        resolve()
      })
    })
  })
  afterAll(async () => {
    ;(server as import('node:http').Server).closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('closes 100 connections that dribble their headers, and serves others meanwhile', async () => {
    const slow = Array.from({ length: 100 }, () => dribble(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaaaaaa\r\n', 100))
    await sleep(300)
    const started = Date.now()
    const res = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(500)
    const ends = await Promise.all(slow.map((s) => s.closed))
    // Closed within the header limit plus one check interval, each with 408 or no answer at all.
    for (const end of ends) {
      expect(end.afterMs).toBeLessThan(LIMITS.headersTimeoutMs + 1500)
      expect(end.answer === '' || end.answer.startsWith('HTTP/1.1 408')).toBe(true)
    }
  })

  it('closes a request whose body dribbles in past the request limit', async () => {
    // Signed in and under the body limit, so the route waits for the whole body before it answers.
    const head = `POST /v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`
    const { closed } = dribble(port, head, ' ', 50)
    const end = await closed
    expect(end.afterMs).toBeLessThan(LIMITS.requestTimeoutMs + 1500)
    expect(end.afterMs).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 100)
  })

  it('still lets an answer take longer than the receive limits (a /tick runs for up to its budget)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/slow-answer`)
    expect([res.status, await res.text()]).toEqual([200, 'done'])
  })

  it('uses limits well under Node\'s defaults (60 s for headers, 300 s per request)', () => {
    const options = serverOptions()
    expect(options.headersTimeout).toBe(DEFAULT_RECEIVE_LIMITS.headersTimeoutMs)
    expect(options.headersTimeout).toBeLessThanOrEqual(15_000)
    expect(options.requestTimeout).toBeLessThanOrEqual(30_000)
    expect(options.connectionsCheckingInterval).toBeLessThanOrEqual(5_000)
  })
})
