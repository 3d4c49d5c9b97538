// CPU per event of the ingest front door's own steps, in one process with no I/O: the bridge
// signature check, parsing and validating the body, minting delivery ids, and building the two
// INSERTs of a 16-event batch (3 deliveries each) the old way (kysely's builder) and the way ingest
// builds them now (db/insert-rows.ts), then mysql2's client-side formatting of that text. For
// before/after checks of a front-door change; the box is shared, so compare rows of one run.
//   npx tsx bench/tools/front-door-micro.ts [events=20000]
import { Kysely, MysqlDialect } from 'kysely'
import mysql from 'mysql2'
import { parseEventsBody } from '../../server/events/parse-body.js'
import { verify } from '../../server/signing/verify.js'
import { sign } from '../../server/signing/sign.js'
import { newId } from '../../server/db/ids.js'
import { insertText } from '../../server/db/insert-rows.js'
import { EVENTS_SKIPPING_KNOWN } from '../../server/events/ingest.js'
import { DELIVERIES } from '../../server/delivery/enqueue.js'
import type { Database } from '../../server/db/schema.js'
import { eventBody, eventId } from '../lib/event.js'

const N = Number(process.argv[2] ?? 20_000)
const BATCH = 16
const key = Buffer.from('bench-bridge-secret', 'utf8')
const requests = Array.from({ length: N }, () => {
  const id = eventId()
  const body = eventBody(id)
  const ts = Math.floor(Date.now() / 1000)
  return { id, timestamp: String(ts), signature: sign(key, id, ts, body), body }
})
// Compiling needs no connection; this pool is never asked for one.
const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool: async () => { throw new Error('not connected') } }) })

/** µs per call, from the second of two passes (the first warms the JIT). */
function perCall(calls: number, fn: (i: number) => unknown): number {
  let us = 0
  for (let pass = 0; pass < 2; pass++) {
    const t = performance.now()
    for (let i = 0; i < calls; i++) fn(i)
    us = ((performance.now() - t) * 1000) / calls
  }
  return us
}

const now = Date.now()
const batch = requests.slice(0, BATCH).map((r) => parseEventsBody(r.body)[0]!)
const EV = EVENTS_SKIPPING_KNOWN.columns
const DL = DELIVERIES.columns
const evRows = () => batch.map(({ event, payload }) => ({ id: event.id, user_id: event.user_id, type: event.type, schema_version: event.schema_version, occurred_at: Date.parse(event.occurred_at), payload, received_at: now }))
const dlRows = () => batch.flatMap(({ event }) => [1, 2, 3].map((e) => ({
  id: newId('dlv', now), event_id: event.id, endpoint_id: `wh_${e}`, user_id: event.user_id, event_type: event.type, status: 'pending', attempts: 0,
  next_attempt_at: now, lease_owner: null, last_status_code: null, last_error: null, last_attempt_at: null, last_duration_ms: null, created_at: now, updated_at: now,
})))
const flat = (rows: Record<string, unknown>[], cols: readonly string[]) => { const p: unknown[] = []; for (const r of rows) for (const c of cols) p.push(r[c] ?? null); return p }
const evCompiled = db.insertInto('events').values(evRows()).ignore().compile()
const dlCompiled = db.insertInto('deliveries').values(dlRows()).compile()
const batches = Math.max(200, N / 10)
type SqlParams = Parameters<typeof mysql.format>[1]

const rows: [string, number][] = [
  ['bridge signature check', perCall(N, (i) => verify([key], requests[i]!, Date.now(), 300))],
  ['parse + validate the body', perCall(N, (i) => parseEventsBody(requests[i]!.body))],
  ['3 delivery ids', perCall(N, () => { newId('dlv', now); newId('dlv', now); newId('dlv', now) })],
  ['2 INSERTs, kysely builder', perCall(batches, () => { db.insertInto('events').values(evRows()).ignore().compile(); db.insertInto('deliveries').values(dlRows()).compile() }) / BATCH],
  ['2 INSERTs, insert-rows.ts', perCall(batches, () => {
    insertText({ kind: 'mysql' }, EVENTS_SKIPPING_KNOWN, BATCH); flat(evRows(), EV)
    insertText({ kind: 'mysql' }, DELIVERIES, BATCH * 3); flat(dlRows(), DL)
  }) / BATCH],
  ['mysql2 formats the 2 INSERTs', perCall(batches, () => { mysql.format(evCompiled.sql, evCompiled.parameters as SqlParams); mysql.format(dlCompiled.sql, dlCompiled.parameters as SqlParams) }) / BATCH],
]
process.stdout.write(`front door, µs of CPU per event (batches of ${BATCH} events × 3 deliveries; ${N} requests)\n`)
for (const [label, us] of rows) process.stdout.write(`  ${label.padEnd(32)} ${us.toFixed(2).padStart(7)}\n`)
process.exit(0)
