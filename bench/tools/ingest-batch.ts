// Evidence for the group-commit finding: the service's own parseEventsBody + ingestEvents, called
// in-process (no HTTP) with 1 event per transaction, as the route does today, and with B events per
// transaction, as a group-commit batcher would. Same database setup as the bench.
// Usage: npx tsx bench/tools/ingest-batch.ts [sqlite|mysql] [events=2000]
import { freshDatabase, type Dialect } from '../lib/database.js'
import { connect } from '../../server/db/connect.js'
import { ingestEvents } from '../../server/events/ingest.js'
import { parseEventsBody, type IncomingEvent } from '../../server/events/parse-body.js'
import { BENCH_USER, eventBody, eventId } from '../lib/event.js'
import { nowMs } from '../lib/stats.js'

const dialect = (process.argv[2] ?? 'sqlite') as Dialect
const total = Number(process.argv[3] ?? 2000)
const bdb = await freshDatabase(dialect)
const db = await connect(bdb.url)
const now = Date.now()
for (const i of [1, 2, 3]) {
  await db.db
    .insertInto('endpoints')
    .values({
      id: `wh_bench_${i}`, user_id: BENCH_USER, url: `http://127.0.0.1/e/${i}`, description: '', event_types: '["email.*"]', is_active: 1,
      disabled_reason: null, disabled_at: null, secret_enc: 'unused', secret_key_id: 'key_unused', previous_secret_enc: null,
      previous_key_id: null, previous_expires_at: null, failing_since: null, created_at: now, updated_at: now,
    })
    .execute()
}

let parseMs = 0
const events: IncomingEvent[] = []
for (let i = 0; i < total; i++) {
  const id = eventId()
  const body = eventBody(id)
  const t = nowMs()
  events.push(...parseEventsBody(body))
  parseMs += nowMs() - t
}
console.log(`${dialect}: parse + validate ${(parseMs / total).toFixed(3)} ms per event`)

for (const batch of [1, 8, 64]) {
  const slice = events.splice(0, Math.floor(total / 3))
  // Concurrency 1 for batch 1 is what one connection does; the route runs many such transactions
  // at once, which on SQLite still serialise on its single connection.
  const t = nowMs()
  for (let i = 0; i < slice.length; i += batch) await ingestEvents({ db }, slice.slice(i, i + batch), Date.now())
  const ms = nowMs() - t
  console.log(`${dialect}: ${batch} event(s) per transaction: ${(ms / slice.length).toFixed(3)} ms per event, ${Math.round((slice.length / ms) * 1000)} events/s`)
}
await db.close()
await bdb.drop()
process.exit(0)
