// The targets, each evaluated against this run's figures and set beside its same-run
// baseline. A figure from a phase whose ledger did not balance is shown as VOID and cannot pass.
import type { BenchResult } from './types.js'
import type { Phase, ServiceResult } from '../scenarios/service.js'

export interface TargetRow {
  metric: string
  target: string
  sqlite: string
  mysql: string
  baseline: string
  ratio: string
  status: 'met' | 'missed' | 'n/a' | '—'
}

type Pick = (s: ServiceResult) => { value: number; ok: boolean; note?: string } | null

const ok = (ph: Phase | undefined) => !!ph && ph.ledger.balanced
const fmt = (v: { value: number; ok: boolean; note?: string } | null, unit = '') =>
  v === null ? '—' : (v.ok ? `${v.value.toLocaleString('en-US')}${unit}` : `VOID (${v.value.toLocaleString('en-US')}${unit})`) + (v.note ? ` ${v.note}` : '')
const sat = (ph: Phase | undefined) => (ph?.load?.saturatedAtMs != null ? `(saturated: generator stopped at ${(ph.load.saturatedAtMs / 1000).toFixed(1)} s)` : undefined)

export function targetRows(r: BenchResult): TargetRow[] {
  const rows: TargetRow[] = []
  const b = r.baselines
  const add = (metric: string, target: string, pick: Pick, pass: (v: number) => boolean, baseline?: number, unit = '', ratioOf: 'mysql' | 'sqlite' = 'mysql') => {
    const s = r.service.sqlite ? pick(r.service.sqlite) : null
    const m = r.service.mysql ? pick(r.service.mysql) : null
    const judged = ratioOf === 'mysql' ? m : s
    const ratio = baseline && judged ? `${(judged.value / baseline).toFixed(2)}×` : '—'
    const status = target === '—' ? '—' : !judged ? 'n/a' : judged.ok && !judged.note && pass(judged.value) ? 'met' : 'missed'
    rows.push({ metric, target, sqlite: fmt(s, unit), mysql: fmt(m, unit), baseline: baseline !== undefined ? `${baseline.toLocaleString('en-US')}${unit}` : '—', ratio, status })
  }
  const open = (s: ServiceResult) => s.open['1000']
  add('ingest, closed loop (events/s)', '≥ 5,000 (MariaDB)', (s) => (s.ingestClosed?.load ? { value: s.ingestClosed.load.rate, ok: ok(s.ingestClosed) } : null), (v) => v >= 5000, b.http?.closed.rate, '')
  add('ingest p50 @ 1,000 ev/s (ms)', '≤ 8 (goal)', (s) => (open(s)?.load?.latency ? { value: open(s)!.load!.latency!.p50, ok: ok(open(s)), note: sat(open(s)) } : null), (v) => v <= 8, b.http?.open.latency?.p50)
  add('ingest p99 @ 1,000 ev/s (ms)', '≤ 25', (s) => (open(s)?.load?.latency ? { value: open(s)!.load!.latency!.p99, ok: ok(open(s)), note: sat(open(s)) } : null), (v) => v <= 25, b.http?.open.latency?.p99)
  add('drain, worker mode (deliveries/s)', '≥ 5,000 and ≥ 0.25 × B-send', (s) => (s.drain ? { value: s.drain.rate, ok: s.drain.ledger.balanced } : null), (v) => v >= 5000 && (!b.send || v >= 0.25 * b.send.rate), b.send?.rate)
  add('one /tick, 20 s budget (deliveries)', '≥ 80,000', (s) => (s.tick ? { value: s.tick.delivered, ok: s.tick.ledger.balanced } : null), (v) => v >= 80_000)
  const e2e = (rate: number, q: 'p50' | 'p99'): Pick => (s) => {
    const ph = s.open[String(rate)]
    return ph?.e2e?.latency ? { value: ph.e2e.latency[q], ok: ok(ph) && ph.e2e.arrived === ph.e2e.expected, note: sat(ph) } : null
  }
  add('event→delivered p50 @ 1,000 ev/s × 3 (ms)', '≤ 20', e2e(1000, 'p50'), (v) => v <= 20)
  add('event→delivered p99 @ 1,000 ev/s × 3 (ms)', '≤ 100', e2e(1000, 'p99'), (v) => v <= 100)
  add('event→delivered p50 @ 300 ev/s × 3 (ms)', '—', e2e(300, 'p50'), () => true)
  add('event→delivered p99 @ 300 ev/s × 3 (ms)', '—', e2e(300, 'p99'), () => true)
  add('idle RSS, web process (MB)', '≤ 80', (s) => (s.idle ? { value: s.idle.rssMB, ok: true } : null), (v) => v <= 80)
  const loaded: Pick = (s) => {
    const peaks = [s.ingestClosed, ...Object.values(s.open)].filter(Boolean).map((ph) => ph!.usage.service?.rssMaxMB ?? 0)
    if (s.drain?.usage.worker) peaks.push(s.drain.usage.worker.rssMaxMB)
    if (s.tick?.usage.service) peaks.push(s.tick.usage.service.rssMaxMB)
    return peaks.length ? { value: Math.max(...peaks), ok: true } : null
  }
  add('loaded RSS, peak of any of our processes (MB)', '≤ 150', loaded, (v) => v <= 150)
  const d = r.dashboard
  const gz = 'gzipBytes' in d ? d.gzipBytes : null
  rows.push({ metric: 'dashboard JS, gzip (KB)', target: '≤ 12', sqlite: gz === null ? d.note ?? '—' : (gz / 1024).toFixed(1), mysql: '', baseline: '—', ratio: '—', status: gz === null ? 'n/a' : gz <= 12 * 1024 ? 'met' : 'missed' })
  return rows
}
