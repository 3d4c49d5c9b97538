// The parent's side of the receiver process: start it, reset and read its counters, and turn its
// arrivals plus the generator's scheduled t0s into event→delivered latency.
import { readFileSync } from 'node:fs'
import { request } from 'undici'
import { spawnTs, type Child } from './proc.js'
import { summarize, waitUntil, type Summary } from './stats.js'

export interface ReceiverStats {
  count: number
  unique: number
  firstAt: number
  lastAt: number
}

/** Distinct deliveries per second between the first and the last arrival (0 for fewer than two). */
export function arrivalRate(got: Pick<ReceiverStats, 'unique' | 'firstAt' | 'lastAt'>): number {
  const span = got.lastAt - got.firstAt
  return span > 0 ? Math.round((got.unique / span) * 1000) : 0
}

export class Receiver {
  private constructor(readonly child: Child, readonly port: number) {}

  static async start(): Promise<Receiver> {
    const child = spawnTs('bench/procs/receiver.ts', {})
    const port = await child.next((m) => (m.ready ? (m.port as number) : undefined), 20_000)
    return new Receiver(child, port)
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`
  }

  private async control(path: string): Promise<ReceiverStats> {
    const r = await request(this.url(path), { method: 'POST' })
    return (await r.body.json()) as ReceiverStats
  }

  reset = () => this.control('/__reset')
  stats = () => this.control('/__stats')
  dump = (file: string) => this.control(`/__dump?file=${encodeURIComponent(file)}`)

  /** Waits until `n` distinct deliveries arrived, the timeout passes, or nothing new arrived for
   * `stallMs`; returns the last stats. */
  async waitFor(n: number, timeoutMs: number, stallMs = 10_000): Promise<ReceiverStats> {
    let last = await this.stats()
    let seen = last.count
    let changed = Date.now()
    await waitUntil(
      async () => {
        last = await this.stats()
        if (last.count !== seen) [seen, changed] = [last.count, Date.now()]
        return last.unique >= n || Date.now() - changed > stallMs
      },
      timeoutMs,
      200,
    )
    return last
  }

  stop = () => this.child.stop()
}

export interface E2e {
  latency: Summary | null
  /** Deliveries expected for measured (post-warm-up) events, and how many of them arrived. */
  expected: number
  arrived: number
  duplicates: number
}

/** Latency from each event's scheduled send time to its first arrival per endpoint. */
export function e2eLatency(idsFile: string, dumpFile: string, endpoints: number): E2e {
  const g = JSON.parse(readFileSync(idsFile, 'utf8')) as { ids: string[]; t0: number[]; warmEnd: number }
  const r = JSON.parse(readFileSync(dumpFile, 'utf8')) as { ids: string[]; paths: string[]; times: number[] }
  const t0 = new Map<string, number>()
  for (let i = 0; i < g.ids.length; i++) if (g.t0[i]! >= g.warmEnd) t0.set(g.ids[i]!, g.t0[i]!)
  const seen = new Set<string>()
  const lat: number[] = []
  let duplicates = 0
  for (let i = 0; i < r.ids.length; i++) {
    const k = `${r.ids[i]} ${r.paths[i]}`
    if (seen.has(k)) {
      duplicates++
      continue
    }
    seen.add(k)
    const start = t0.get(r.ids[i]!)
    if (start !== undefined) lat.push(r.times[i]! - start)
  }
  return { latency: summarize(lat), expected: t0.size * endpoints, arrived: lat.length, duplicates }
}
