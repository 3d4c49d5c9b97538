// Noisy neighbour (issue 12): nine normal users beside one user whose 20 endpoints never answer,
// 300 events per second in all. Reported: the normal users' event→delivered times, once with the
// noisy user and once without (the same 270 ev/s of normal traffic), and their ratio (target ≤ 1.5×
// at p99). Default limits (4 in flight, 2 per user, 1 per endpoint, 10 s timeout, default retry
// schedule). How the service runs (one process, or service / receiver / sender as three
// processes) is noisy/harness.ts; the figures are indicative either way on a 2-core machine.
//
// The halves alternate in pairs (quiet, noisy; then noisy, quiet; …) and each condition's samples
// are pooled before its p99 is taken. One p99 over one other from a single pair of 10–15 s halves
// is mostly noise at these latencies: on 3 December two quiet halves of the same tree differed by
// up to 1.66× (p99 10.8 against 17.9 ms), so a single pair's ratio ranged 0.5–2.3 for one build.
// Alternating the order cancels a drift of the machine's load between the halves; every pair's
// own ratio is reported beside the pooled one. Each half's fresh service is warmed with a second
// of the normal users' traffic before its measured window (oneRun).
// Standalone: `npx tsx bench/scenarios/noisy-neighbour.ts [seconds per half] [sqlite|mysql] [events per second] [one-process|processes] [pairs]`.
import { pathToFileURL } from 'node:url'
import { mintToken } from '../../server/auth/token.js'
import { sign } from '../../server/signing/sign.js'
import { EXAMPLES } from '../../server/events/examples.js'
import { newId } from '../../server/db/ids.js'
import { buildService } from '../lib/build.js'
import { freshDatabase, type Dialect } from '../lib/database.js'
import { nowMs, r2, sleep, summarize, type Summary } from '../lib/stats.js'
import { oneProcess, processes, type Harness, type HarnessKind } from './noisy/harness.js'

export interface NoisyRun {
  noisy: boolean
  normalEvents: number
  delivered: number
  /** Normal users' event→delivered, ms. */
  latency: Summary | null
  /** The part of it spent before the 202: the normal users' POST /v1/events, ms. */
  ingest: Summary | null
  noisyEvents: number
}

export interface NoisyPair {
  quietP99: number | null
  noisyP99: number | null
  ratio: number | null
}

export interface NoisyResult {
  dialect: Dialect
  /** Per half; there are `pairs` halves of each kind. */
  seconds: number
  pairs: number
  eventsPerSecond: number
  quiet: NoisyRun
  withNoisy: NoisyRun
  /** withNoisy p99 / quiet p99, each over the pooled samples of its halves. */
  p99Ratio: number | null
  /** Each pair's own p99s and ratio, in the order run. */
  byPair: NoisyPair[]
  note: string
}

const NORMAL_USERS = 9
const HANGING_ENDPOINTS = 20
const TOTAL_RATE = 300
/** The noisy user's share (a tenth); each of its events fans out to 20 hanging endpoints. */
const NOISY_SHARE = 0.1
/** Unmeasured normal traffic at the start of each half (see oneRun). */
const WARM_UP_MS = 1_000

type Half = NoisyRun & { samples: number[]; ingestSamples: number[] }

async function oneRun(h: Harness, seconds: number, withNoisy: boolean, rate: number): Promise<Half> {
  const call = async (userId: string, path: string, body: unknown) => {
    const res = await h.post(path, JSON.stringify(body), { 'content-type': 'application/json', authorization: `Bearer ${await mintToken(h.bridgeSecret, userId, Date.now())}` })
    if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${res.text}`)
  }
  const normal = Array.from({ length: NORMAL_USERS }, (_, i) => `user-${i + 1}`)
  for (const u of normal) await call(u, '/v1/webhooks', { url: h.receiverUrl(`/ok-${u}`), event_types: ['*'] })
  if (withNoisy) for (let i = 0; i < HANGING_ENDPOINTS; i++) await call('noisy', '/v1/webhooks', { url: h.receiverUrl(`/hang-${i}`), event_types: ['*'] })

  const sent = new Map<string, number>()
  const ingestMs: number[] = []
  let noisyEvents = 0
  let measuring = false
  const ingest = async (userId: string) => {
    const event = { ...structuredClone(EXAMPLES['email.failed']), id: newId('evt'), user_id: userId }
    const text = JSON.stringify(event)
    const ts = Math.floor(Date.now() / 1000)
    const t0 = nowMs()
    const counted = measuring
    const res = await h.post('/v1/events', text, {
      'content-type': 'application/json', 'webhook-id': event.id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(Buffer.from(h.bridgeSecret, 'utf8'), event.id, ts, text),
    })
    if (counted && res.status === 202 && userId !== 'noisy') {
      sent.set(event.id, t0)
      ingestMs.push(nowMs() - t0)
    }
  }
  const inFlight = new Set<Promise<void>>()
  const fire = (userId: string) => {
    const p = ingest(userId).catch(() => {})
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  }
  // Paced in 20 ms steps; the normal users take turns, the noisy user (when on) gets its share on top.
  const pace = async (forMs: number, normalRate: number, noisyRate: number) => {
    const started = nowMs()
    let normalDone = 0
    let noisyDone = 0
    while (nowMs() - started < forMs) {
      const elapsed = (nowMs() - started) / 1000
      while (normalDone < elapsed * normalRate) fire(normal[normalDone++ % NORMAL_USERS]!)
      while (noisyDone < elapsed * noisyRate) { fire('noisy'); noisyDone += 1; noisyEvents += 1 }
      await sleep(20)
    }
  }
  const noisyRate = rate * NOISY_SHARE
  const normalRate = rate - noisyRate
  // Each half runs a service built for it. Its first events pay for the first connections, the
  // endpoint caches and the JIT (p99 of the first 300 ms: 150–380 ms, either condition): warm it
  // with the normal users' traffic first, unmeasured, so the halves compare the noisy user's
  // effect rather than how each fresh service happened to start. The noisy user starts with the
  // measured window, so the onset of its load is measured.
  await pace(WARM_UP_MS, normalRate, 0)
  await Promise.all(inFlight)
  await sleep(200)
  measuring = true
  await pace(seconds * 1000, normalRate, withNoisy ? noisyRate : 0)
  await Promise.all(inFlight)
  // Let the normal users' last deliveries land (at most 10 s).
  const until = nowMs() + 10_000
  let arrivals = await h.arrivals()
  while (nowMs() < until && [...sent.keys()].some((id) => !arrivals.has(id))) { await sleep(100); arrivals = await h.arrivals() }
  const latency = [...sent].flatMap(([id, t0]) => (arrivals.has(id) ? [arrivals.get(id)! - t0] : []))
  return { noisy: withNoisy, normalEvents: sent.size, delivered: latency.length, latency: summarize(latency), ingest: summarize(ingestMs), noisyEvents, samples: latency, ingestSamples: ingestMs }
}

async function harnessRun(kind: HarnessKind, dialect: Dialect, seconds: number, withNoisy: boolean, rate: number): Promise<Half> {
  const fresh = await freshDatabase(dialect)
  const h = kind === 'processes' ? await processes(await buildService(), fresh.url) : await oneProcess(fresh.url)
  try {
    return await oneRun(h, seconds, withNoisy, rate)
  } finally {
    await h.close()
    await fresh.drop()
  }
}

export async function noisyNeighbour(
  dialect: Dialect, seconds: number, log: (s: string) => void = () => {}, rate = TOTAL_RATE, kind: HarnessKind = 'one-process', pairs = 3,
): Promise<NoisyResult> {
  // A warm-up half first, not reported: in one process the first half otherwise pays for the
  // JIT and the first connections, which made the quiet half's p99 the larger one (ratio < 1).
  log(`noisy neighbour on ${dialect}: warm-up, then ${pairs} pairs of ${seconds} s halves`)
  await harnessRun(kind, dialect, Math.min(3, seconds / 2), false, rate)
  const quiet: Half[] = []
  const noisy: Half[] = []
  const byPair: NoisyPair[] = []
  for (let i = 0; i < pairs; i++) {
    const half = (withNoisy: boolean) => {
      log(`noisy neighbour on ${dialect}: pair ${i + 1} of ${pairs}, ${withNoisy ? 'with' : 'without'} the noisy user`)
      return harnessRun(kind, dialect, seconds, withNoisy, rate)
    }
    // Quiet first in even pairs, noisy first in odd ones.
    const quietFirst = i % 2 === 0
    const first = await half(!quietFirst)
    const second = await half(quietFirst)
    const [q, n] = quietFirst ? [first, second] : [second, first]
    quiet.push(q)
    noisy.push(n)
    byPair.push(pairOf(q, n))
  }
  const q = pool(quiet, false)
  const n = pool(noisy, true)
  const p99Ratio = pairOf(q, n).ratio
  return {
    dialect, seconds, pairs, eventsPerSecond: rate, quiet: q, withNoisy: n, p99Ratio, byPair,
    note: `${NORMAL_USERS} normal users at ${rate * (1 - NOISY_SHARE)} ev/s in all, one endpoint each, receiver answers at once; the noisy user adds ${rate * NOISY_SHARE} ev/s to ${HANGING_ENDPOINTS} endpoints that never answer (10 s timeout). ${pairs} alternating pairs of ${seconds} s halves, each on a fresh service warmed by ${WARM_UP_MS / 1000} s of the normal users' traffic (not measured), samples pooled per condition (each pair's own ratio in byPair). ${kind === 'processes' ? 'Service, receiver and event sender as three processes' : 'One process for service, ingest and receiver'} on a 2-core machine: indicative figures.`,
  }
}

function pairOf(quiet: NoisyRun, noisy: NoisyRun): NoisyPair {
  const quietP99 = quiet.latency?.p99 ?? null
  const noisyP99 = noisy.latency?.p99 ?? null
  return { quietP99, noisyP99, ratio: quietP99 && noisyP99 ? r2(noisyP99 / quietP99) : null }
}

/** One condition's halves as one run: counts added, latencies summarised over all their samples. */
function pool(halves: Half[], withNoisy: boolean): NoisyRun {
  const sum = (f: (h: Half) => number) => halves.reduce((a, h) => a + f(h), 0)
  return {
    noisy: withNoisy, normalEvents: sum((h) => h.normalEvents), delivered: sum((h) => h.delivered),
    latency: summarize(halves.flatMap((h) => h.samples)), ingest: summarize(halves.flatMap((h) => h.ingestSamples)), noisyEvents: sum((h) => h.noisyEvents),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 10)
  const dialect = (process.argv[3] ?? 'sqlite') as Dialect
  const rate = Number(process.argv[4] ?? TOTAL_RATE)
  const kind = (process.argv[5] ?? 'one-process') as HarnessKind
  const pairs = Number(process.argv[6] ?? 3)
  const result = await noisyNeighbour(dialect, seconds, (s) => process.stderr.write(`${s}\n`), rate, kind, pairs)
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  process.exit(0)
}
