// Per-request cost of the service's sender against raw undici Pool.request, in one process, same
// receiver (a child process answering 200 with a short body), 64 in flight. For sender changes:
// run it before and after; the ratio matters, not the absolute rate (the box is shared).
//   npx tsx bench/tools/sender-micro.ts [requests=20000]
import { fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { createUndiciSender } from '../../server/delivery/sender.js'

if (process.argv[2] === 'receiver') {
  const { createServer } = await import('node:http')
  const srv = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end('ok'))
  }).listen(0, '127.0.0.1', () => process.send!((srv.address() as { port: number }).port))
} else {
  const n = Number(process.argv[2] ?? 20_000)
  const child = fork(new URL(import.meta.url).pathname, ['receiver'], { execArgv: process.execArgv })
  const port = await new Promise<number>((res) => child.once('message', (m) => res(m as number)))
  const url = `http://127.0.0.1:${port}/hook`
  const body = JSON.stringify({ data: 'x'.repeat(1000) })
  const headers = { 'content-type': 'application/json', 'webhook-id': 'evt_1', 'webhook-signature': 'v1,abc' }
  const run = async (name: string, one: () => Promise<unknown>) => {
    let left = n
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    await Promise.all(Array.from({ length: 64 }, async () => { while (left-- > 0) await one() }))
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    console.log(`${name}: ${Math.round((n / ms) * 1000)}/s, ${(((cpu.user + cpu.system) / 1000) / n * 1000).toFixed(1)} µs CPU per request`)
  }
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64 })
  const sender = createUndiciSender({ allowPrivateTargets: true, concurrency: 64 })
  for (let round = 0; round < 2; round++) {
    await run('raw Pool.request', async () => { const r = await pool.request({ method: 'POST', path: '/hook', headers, body }); await r.body.text() })
    await run('sender.send     ', async () => { const r = await sender.send({ url, headers, body, timeoutMs: 10_000 }); if (!r.ok) throw new Error(r.error ?? '') })
  }
  await pool.close()
  await sender.close()
  child.kill()
}
