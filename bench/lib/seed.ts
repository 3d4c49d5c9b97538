// Rows as the service writes them: one event (the 1 KB payload) and one pending delivery per
// endpoint. Used by the raw-insert baselines and to pre-seed backlogs for the drain and /tick runs.
import { newId } from '../../server/db/ids.js'
import { BENCH_USER, EVENT_TYPE, eventBody } from './event.js'
import type { RawSql } from './raw-sql.js'

type Q = (sql: string, params?: unknown[]) => Promise<any[]>

const EV_COLS = '(id, user_id, type, schema_version, occurred_at, payload, received_at)'
const DL_COLS = '(id, event_id, endpoint_id, user_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)'
const marks = (rows: number, cols: number) => Array.from({ length: rows }, () => `(${Array(cols).fill('?').join(',')})`).join(',')

/** Inserts `n` events and n × endpoints deliveries in two multi-row statements on `q`. */
export async function insertEvents(q: Q, n: number, endpointIds: string[], now = Date.now()): Promise<string[]> {
  const ev: unknown[] = []
  const dl: unknown[] = []
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const id = newId('evt', now)
    ids.push(id)
    ev.push(id, BENCH_USER, EVENT_TYPE, 1, now, eventBody(id, now), now)
    for (const ep of endpointIds) dl.push(newId('dlv', now), id, ep, BENCH_USER, EVENT_TYPE, 'pending', 0, now, now, now)
  }
  await q(`INSERT INTO events ${EV_COLS} VALUES ${marks(n, 7)}`, ev)
  await q(`INSERT INTO deliveries ${DL_COLS} VALUES ${marks(n * endpointIds.length, 10)}`, dl)
  return ids
}

/** Pre-seeds a backlog of `deliveries` pending deliveries (rounded up to whole events). */
export async function seedBacklog(sql: RawSql, deliveries: number, endpointIds: string[]): Promise<number> {
  const events = Math.ceil(deliveries / endpointIds.length)
  // SQLite caps bound parameters at 32,766; 100 events × 3 × 10 = 3,000 stays far below it.
  for (let done = 0; done < events; done += 100) {
    const n = Math.min(100, events - done)
    await sql.tx((q) => insertEvents(q, n, endpointIds))
  }
  return events * endpointIds.length
}

/** Fake endpoint ids for the raw baselines, which need no endpoint rows. */
export const FAKE_ENDPOINTS = ['wh_bench_1', 'wh_bench_2', 'wh_bench_3']
