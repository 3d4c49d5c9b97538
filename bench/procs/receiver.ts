// The loopback receiver every system delivers to. Answers 204 at once and records, per request,
// which event it carried, which endpoint path it hit and when it arrived, so the parent can compute
// event→delivered latency (arrival − the event's scheduled t0) and count duplicates.
// Control routes under /__: GET /__stats, POST /__dump?file=… (writes arrivals as JSON), POST /__reset.
import { createServer } from 'node:http'
import { writeFileSync } from 'node:fs'
import { childArg, send } from '../lib/proc.js'
import { nowMs } from '../lib/stats.js'

const opts = childArg<{ port?: number }>()
let ids: string[] = []
let paths: string[] = []
let times: number[] = []
let firstAt = 0
let lastAt = 0
const hanging = new Set<import('node:http').ServerResponse>()

const ID_IN_BODY = /"id":"(evt_[^"]+)"/

const server = createServer((req, res) => {
  const url = req.url ?? '/'
  if (url.startsWith('/__')) return control(url, res)
  // The noisy-neighbour scenario's hostile endpoints: read the request, never answer, record nothing.
  if (url.startsWith('/hang')) { req.resume(); hanging.add(res); res.on('close', () => hanging.delete(res)); return }
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const t = nowMs()
    // The event id: our service's X-QSM-Event-Id, else the id at the top of the envelope, else
    // webhook-id. Any of them is stable across retries, which is what dedupe and latency need.
    let id = req.headers['x-qsm-event-id'] as string | undefined
    if (!id) {
      const head = Buffer.concat(chunks).subarray(0, 200).toString('utf8')
      id = ID_IN_BODY.exec(head)?.[1] ?? (req.headers['webhook-id'] as string | undefined) ?? ''
    }
    ids.push(id)
    paths.push(url)
    times.push(t)
    if (!firstAt) firstAt = t
    lastAt = t
    res.writeHead(204)
    res.end()
  })
})

function control(url: string, res: import('node:http').ServerResponse) {
  const u = new URL(url, 'http://x')
  let body: unknown = {}
  if (u.pathname === '/__stats') body = stats()
  else if (u.pathname === '/__dump') {
    const file = u.searchParams.get('file')!
    writeFileSync(file, JSON.stringify({ ids, paths, times }))
    body = stats()
  } else if (u.pathname === '/__reset') {
    ids = []
    paths = []
    times = []
    firstAt = lastAt = 0
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function stats() {
  const unique = new Set<string>()
  for (let i = 0; i < ids.length; i++) unique.add(`${ids[i]} ${paths[i]}`)
  return { count: ids.length, unique: unique.size, firstAt, lastAt }
}

server.keepAliveTimeout = 60_000
server.listen(opts.port ?? 0, '127.0.0.1', () => {
  const addr = server.address()
  send({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0 })
})
process.on('SIGTERM', () => {
  for (const r of hanging) r.destroy()
  server.close(() => process.exit(0))
})
