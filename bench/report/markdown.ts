// Renders a BenchResult as the markdown table people read: the machine, targets against figures and
// baselines, the baselines themselves, BullMQ side by side, footprint, and every ledger.
import type { BenchResult } from './types.js'
import { targetRows } from './targets.js'
import { wholeJobRate, type Phase } from '../scenarios/service.js'
import type { Summary } from '../lib/stats.js'

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
const lat = (s: Summary | null | undefined) => (s ? `${s.p50} / ${s.p99}` : '—')
const n = (v: number | undefined) => (v === undefined ? '—' : v.toLocaleString('en-US'))
const ledger = (ph: { ledger: Phase['ledger'] } | undefined) =>
  ph ? `${ph.ledger.balanced ? 'ok' : '**VOID**'} (${n(ph.ledger.accepted)}×${ph.ledger.endpoints} = ${n(ph.ledger.delivered)} + ${n(ph.ledger.pending)} + ${n(ph.ledger.failed)}${ph.ledger.duplicates ? `; ${ph.ledger.duplicates} dup` : ''})` : '—'

export function renderMarkdown(r: BenchResult): string {
  const m = r.machine
  const out: string[] = []
  out.push(`# QSM Webhooks benchmark — ${r.startedAt.slice(0, 10)} (${r.profile})`, '')
  out.push(`Command: \`${r.command}\`. Started ${r.startedAt}, finished ${r.finishedAt}. Load average at start: ${m.loadAvgAtStart.join(', ')}.`)
  out.push('Everything (generator, service, databases, Redis, receiver) shares the same cores, loopback only; figures taken while other work may have been running on the machine, so treat single numbers as ±20 % and read the ratios.', '')
  out.push('## Machine', '')
  out.push(table(['item', 'value'], [
    ['cores / CPU', `${m.cores} × ${m.cpuModel}`], ['memory', `${m.memoryGiB} GiB`], ['OS / kernel', `${m.os} / ${m.kernel}`],
    ['Node / undici', `${m.node} / ${m.undici}`], ['SQLite', m.sqlite], ['MariaDB', m.mariadb ?? 'not available'], ['Redis', m.redis ?? 'not available'],
    ['fsync rate (4 KiB O_DSYNC writes)', `${n(m.fsyncPerSec)}/s (${m.fsyncMs} ms each) at start; ${r.fsyncAtEnd ? `${n(r.fsyncAtEnd)}/s at the end` : '—'}`], ['service build', r.serviceBuild],
    ['service env', Object.entries(r.serviceEnv).map(([k, v]) => `${k}=${v}`).join(' ')],
  ]), '')
  out.push('## Targets', '', 'Ratio = MariaDB figure ÷ same-run baseline (for latencies: how many times the floor). Status is judged on MariaDB; "saturated" means the open-loop generator stopped because 2 s of load was outstanding, which misses the target whatever the figure.', '')
  out.push(table(['metric', 'target', 'SQLite', 'MariaDB', 'baseline', 'ratio', 'status'], targetRows(r).map((t) => [t.metric, t.target, t.sqlite, t.mysql, t.baseline, t.ratio, t.status === 'missed' ? '**missed**' : t.status])), '')
  out.push('## Baselines (same run)', '')
  const b = r.baselines
  const bRows: (string | number)[][] = []
  if (b.http) {
    bRows.push(['B-http: Hono POST, no DB, closed loop c=64', `${n(b.http.closed.rate)} req/s`, lat(b.http.closed.latency)])
    bRows.push(['B-http: open loop 1,000/s, latency from t0', '—', lat(b.http.open.latency)])
  }
  for (const [d, raw] of Object.entries(b.db)) {
    if (!raw) continue
    bRows.push([`B-db ${d}: txn event + 3 deliveries (${raw.txn1.conns} conn)`, `${n(raw.txn1.rate)} events/s`, lat(raw.txn1.txnLatency)])
    bRows.push([`B-db ${d}: 100 events + 300 deliveries per txn (${raw.multi100.conns} conn)`, `${n(raw.multi100.rate)} events/s`, lat(raw.multi100.txnLatency)])
    bRows.push([`B-db ${d}: claim LIMIT ${raw.claim.limit} + ack, ${raw.claim.claimers} claimer(s)`, `${n(raw.claim.rate)} deliveries/s`, '—'])
  }
  if (b.send) bRows.push([`B-send: undici Pool.request, signed 1 KB, ${b.send.inFlight} in flight`, `${n(b.send.rate)} req/s`, lat(b.send.latency)])
  out.push(table(['baseline', 'rate', 'p50 / p99 ms'], bRows), '')
  out.push(...sideBySide(r), ...prototype(r), ...frontDoors(r), ...details(r), ...footprint(r), ...ledgers(r), ...noisy(r))
  if (r.errors.length) out.push('## Errors', '', ...r.errors.map((e) => `- ${e.replace(/\n/g, ' ').slice(0, 400)}`), '')
  out.push('Findings and recommended server changes: see bench/README.md.', '')
  return out.join('\n')
}

function sideBySide(r: BenchResult): string[] {
  const cols = [
    ...(['sqlite', 'mysql'] as const).filter((d) => r.service[d]).map((d) => ({ name: `QSM on ${d === 'mysql' ? 'MariaDB' : 'SQLite'}`, s: r.service[d]! as { ingestClosed?: Phase; open: Record<string, Phase>; drain?: { rate: number } } })),
    ...r.bullmq.map((b) => ({ name: `BullMQ, ${b.redis}`, s: b })),
  ]
  if (!cols.length) return []
  const row = (label: string, f: (s: (typeof cols)[number]['s']) => string) => [label, ...cols.map((c) => f(c.s))]
  return [
    '## Side by side: the same job (signed POST to 3 endpoints, retries 1s,2s,4s,8s, 64 in flight)', '',
    table(['metric', ...cols.map((c) => c.name)], [
      row('ingest, closed loop c=64 (events/s)', (s) => n(s.ingestClosed?.load?.rate)),
      // Sends a system put off while its front door was saturated show here: deliveries still owed
      // when the closed loop stopped, and how long they took to leave.
      row('closed loop: delivered after the load stopped (ms until none pending)', (s) => n(s.ingestClosed?.settleMs)),
      // The same closed loop counted as the whole job: every accepted event, over the time from the
      // first request until the last of its deliveries left. Which side a system favours while
      // saturated (its front door or its sends) does not change this one.
      row('closed loop, the whole job: events accepted ÷ (load + delivering the rest), per s', (s) => n(wholeJobRate(s.ingestClosed))),
      row('ingest p50 / p99 @ 1,000 ev/s (ms)', (s) => lat(s.open['1000']?.load?.latency) + (s.open['1000']?.load?.saturatedAtMs != null ? ' (saturated)' : '')),
      row('event→delivered p50 / p99 @ 1,000 ev/s (ms)', (s) => lat(s.open['1000']?.e2e?.latency)),
      row('event→delivered p50 / p99 @ 300 ev/s (ms)', (s) => lat(s.open['300']?.e2e?.latency)),
      row('drain of the backlog (deliveries/s)', (s) => n(s.drain?.rate)),
      row('ledger (closed / 1,000 / 300)', (s) => [s.ingestClosed, s.open['1000'], s.open['300']].map((p) => (p ? (p.ledger.balanced ? 'ok' : 'VOID') : '—')).join(' / ')),
    ]),
    '', `BullMQ sender: ${[...new Set(r.bullmq.map((b) => b.sender ?? '—'))].join('; ')}. BullMQ front door: Hono, same bridge signature check, \`addBulk\` of 3 jobs per event, 202 after Redis answered; worker concurrency 64 in the same process.`, '',
  ]
}

function details(r: BenchResult): string[] {
  const lines: string[] = []
  for (const d of ['sqlite', 'mysql'] as const) {
    const s = r.service[d]
    if (!s) continue
    if (s.drain) lines.push(`- ${d} drain: ${n(s.drain.delivered)} of ${n(s.drain.seeded)} at ${n(s.drain.rate)}/s (first→last arrival), ${n(s.drain.wallMs)} ms from spawning the worker; worker CPU ${s.drain.usage.worker?.cpuCores ?? '—'} cores` + (s.drain.queriesPerDelivery ? `; MariaDB statements per delivery: ${Object.entries(s.drain.queriesPerDelivery).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''))
    if (s.tick) lines.push(`- ${d} tick via ${s.tick.via}: ${n(s.tick.delivered)} of ${n(s.tick.seeded)} in ${n(s.tick.elapsedMs)} ms; it said: \`${String(typeof s.tick.summary === 'string' ? s.tick.summary : JSON.stringify(s.tick.summary)).replace(/\s+/g, ' ').slice(0, 200)}\``)
    if (s.ingestClosed?.usage.service) lines.push(`- ${d} closed-loop ingest: service CPU ${s.ingestClosed.usage.service.cpuCores} cores` + (s.ingestClosed.usage.database ? `, mariadbd ${s.ingestClosed.usage.database.cpuCores} cores` : ''))
  }
  return lines.length ? ['## Details', '', ...lines, ''] : []
}

function prototype(r: BenchResult): string[] {
  const rows: (string | number)[][] = []
  for (const d of ['sqlite', 'mysql'] as const) {
    const s = r.service[d]
    const g = s?.groupCommit
    if (!s || !g?.load) continue
    const base = s.ingestClosed?.load?.rate
    rows.push([d, `${n(g.load.rate)} events/s`, lat(g.load.latency), base ? `${(g.load.rate / base).toFixed(1)}× the service's ${n(base)}` : '—', g.ledger.balanced ? 'ok' : '**VOID**'])
  }
  if (!rows.length) return []
  return [
    '## Prototype: group-commit ingest (evidence for Findings, not the service)', '',
    'bench/procs/group-commit-ingest.ts: the server\'s own signature check, parseEventsBody and ingest batcher (server/events/group-commit.ts) behind a bare Hono route; closed loop c=64, no delivery loop; runs under tsx. Before 5 December it had a batcher of its own (≤ 2 ms or ≤ 128 events per transaction).', '',
    table(['database', 'ingest', 'p50 / p99 ms', 'vs service', 'ledger'], rows), '',
  ]
}

/**
 * The front door alone on both sides: QSM's web process with QSM_WEB_DELIVERY=false (and the
 * prototype, when run) beside BullMQ with no Worker running. Also set against BullMQ-AOF's closed
 * loop with its Worker, the figure issue 13's closed-loop ratio is judged by.
 */
function frontDoors(r: BenchResult): string[] {
  const doors = r.bullmq.filter((b) => b.ingestFrontDoor?.load)
  const services = (['sqlite', 'mysql'] as const).filter((d) => r.service[d]?.frontDoor?.load || r.service[d]?.groupCommit?.load)
  if (!doors.length && !services.length) return []
  const aofRun = r.bullmq.find((b) => /appendfsync always/.test(b.redis))
  const aof = aofRun?.ingestFrontDoor?.load?.rate
  const aofClosed = aofRun?.ingestClosed?.load?.rate
  const rows: (string | number)[][] = []
  const x = (v: number, base: number | undefined) => (base ? `${(v / base).toFixed(2)}×` : '—')
  const row = (label: string, ph: Phase) =>
    rows.push([label, `${n(ph.load!.rate)} events/s`, lat(ph.load!.latency), x(ph.load!.rate, aof), x(ph.load!.rate, aofClosed), ph.ledger.balanced ? 'ok' : '**VOID**'])
  for (const d of services) {
    const f = r.service[d]?.frontDoor
    if (f?.load) row(`QSM service on ${d}, QSM_WEB_DELIVERY=false`, f)
  }
  for (const d of services) {
    const g = r.service[d]?.groupCommit
    if (g?.load) row(`QSM prototype on ${d}`, g)
  }
  for (const b of doors) row(`BullMQ front door, ${b.redis}`, b.ingestFrontDoor!)
  return [
    '## The front door alone (no delivery running)', '',
    'The same work on both sides: the front door alone, nothing delivering while the loop runs (QSM: the web process with `QSM_WEB_DELIVERY=false`; BullMQ with no Worker; every delivery or job stays waiting, and the ledger counts them as pending; for QSM the receiver must have had no request). The last column sets each against BullMQ-AOF\'s closed loop with its Worker running, the figure issue 13\'s closed-loop ratio is judged by.', '',
    table(['front door', 'ingest, closed loop c=64', 'p50 / p99 ms', 'vs BullMQ-AOF front door', 'vs BullMQ-AOF closed loop (Worker running)', 'ledger'], rows), '',
  ]
}

function footprint(r: BenchResult): string[] {
  const rows: (string | number)[][] = []
  for (const d of ['sqlite', 'mysql'] as const) {
    const s = r.service[d]
    if (!s) continue
    const peak = (k: string, phs: (Phase | undefined)[]) => Math.max(0, ...phs.map((p) => p?.usage[k]?.rssMaxMB ?? 0))
    rows.push([`QSM web (${d})`, s.idle?.rssMB ?? '—', peak('service', [s.ingestClosed, ...Object.values(s.open)]), s.tick?.usage.service?.rssMaxMB ?? '—'])
    rows.push([`QSM worker (${d})`, '—', s.drain?.usage.worker?.rssMaxMB ?? '—', '—'])
  }
  for (const b of r.bullmq) {
    const phs = [b.ingestClosed, ...Object.values(b.open)]
    rows.push([`BullMQ web+worker (${b.redis})`, b.idle?.rssMB ?? '—', Math.max(0, ...phs.map((p) => p?.usage.service?.rssMaxMB ?? 0)), '—'])
    rows.push([`redis-server (${b.redis})`, '—', Math.max(0, ...phs.map((p) => p?.usage.broker?.rssMaxMB ?? 0)), '—'])
  }
  if (r.mariadbRss) rows.push(['mariadbd (shared server, 128 MB buffer pool)', r.mariadbRss.rssMB, '—', '—'])
  return ['## Footprint (VmRSS, MB)', '', table(['process', 'idle', 'loaded peak (ingest/e2e/drain)', 'during /tick'], rows), '']
}

function ledgers(r: BenchResult): string[] {
  const rows: string[][] = []
  for (const d of ['sqlite', 'mysql'] as const) {
    const s = r.service[d]
    if (!s) continue
    rows.push([d, 'ingest closed', ledger(s.ingestClosed)], ...Object.entries(s.open).map(([k, p]) => [d, `open ${k}/s`, ledger(p)]))
    rows.push([d, 'drain (worker)', ledger(s.drain)], [d, '/tick', ledger(s.tick)])
  }
  for (const b of r.bullmq) rows.push([`BullMQ ${b.redis}`, 'closed / 1000 / 300 / drain', [b.ingestClosed, b.open['1000'], b.open['300'], b.drain].map((p) => ledger(p)).join('; ')])
  return ['## Ledgers (accepted × endpoints = delivered + pending + failed)', '', table(['system', 'phase', 'ledger'], rows), '']
}

function noisy(r: BenchResult): string[] {
  if (!r.noisyNeighbour?.length) return []
  const lat = (run: { latency: { p50: number; p99: number } | null; delivered: number; normalEvents: number }) =>
    run.latency ? `${run.latency.p50} / ${run.latency.p99} (${run.delivered} of ${run.normalEvents})` : `— (${run.delivered} of ${run.normalEvents})`
  // The ingest part (POST to 202) beside the whole, so a tail can be placed before or after the 202.
  const ingest = (run: { ingest?: { p50: number; p99: number } | null }) => (run.ingest ? `${run.ingest.p50} / ${run.ingest.p99}` : '—')
  return ['## Noisy neighbour (normal users\' event→delivered, p50 / p99 ms)', '', table(['database', 'without the noisy user', 'with it', 'p99 ratio (target ≤ 1.5)', 'ratio per pair', 'of which ingest, without / with (p50 / p99)'],
    r.noisyNeighbour.map((x) => [x.dialect, lat(x.quiet), lat(x.withNoisy), x.p99Ratio ?? '—', (x.byPair ?? []).map((b) => b.ratio ?? '—').join(', '), `${ingest(x.quiet)}; ${ingest(x.withNoisy)}`])), '', r.noisyNeighbour[0]!.note, '']
}
