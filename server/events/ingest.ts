// Stores validated events and fans them out to deliveries in one transaction. Kept apart from the
// HTTP route so a group-commit batcher (bench/) can call it with many requests' events at once.
// Idempotent on event id: a known id is answered with its original delivery count, never stored twice.
import type { Insertable, Kysely } from 'kysely'
import type { Db } from '../db/connect.js'
import type { Database, EventsTable } from '../db/schema.js'
import { writeTransaction } from '../db/write-first.js'
import { enqueueDeliveries, type ActiveEndpointsCache } from '../delivery/enqueue.js'
import { insertRows, type RowsInsert } from '../db/insert-rows.js'
import type { DialectCaps } from '../db/dialect.js'
import type { HandOff } from '../delivery/types.js'
import type { IncomingEvent } from './parse-body.js'

export interface IngestResult {
  id: string
  /** Deliveries created for this event (for a duplicate: the ones its first ingest created). */
  deliveries: number
  duplicate: boolean
}

const IDS_PER_QUERY = 500
const EVENTS: RowsInsert<Insertable<EventsTable>> = {
  table: 'events',
  columns: ['id', 'user_id', 'type', 'schema_version', 'occurred_at', 'payload', 'received_at'],
  mysqlRowsPerInsert: 200,
}
/** The events INSERT of the hot path (exported for bench/tools/front-door-micro.ts, which times building it). */
export const EVENTS_SKIPPING_KNOWN = { ...EVENTS, ignoreDuplicates: true }
// Two requests racing with one id: the loser's insert hits the primary key, its transaction rolls
// back, and the retry finds the winner's row and answers as a duplicate.
const ATTEMPTS = 3

/**
 * The common case has no known ids, so the events are inserted first, skipping any whose id exists
 * (db/insert-rows.ts), and no SELECT of known ids is made. If the insert skipped any, this
 * transaction cannot tell which rows are its own, so it rolls back and the batch is written again
 * the careful way: known ids selected first, answered as duplicates with their original counts.
 */
class KnownIds extends Error {}

/**
 * Without openHandOff, call dispatcher.wake() after this resolves (it has committed) when any
 * deliveries were made. With it (deps.dispatcher.openHandOff: a delivery loop runs in this
 * process), each attempt's transaction gets a hand-off: deliveries this process has room for are
 * written leased to its runner and handed over after the commit, and the hand-off wakes the claim
 * path itself for the rest.
 */
export async function ingestEvents(
  deps: { db: Db; openHandOff?: () => HandOff | null; endpoints?: ActiveEndpointsCache },
  events: readonly IncomingEvent[],
  now: number,
): Promise<IngestResult[]> {
  let selectFirst = false
  for (let attempt = 1; ; attempt++) {
    // One hand-off per attempt: a rolled-back attempt's reservations are freed before the retry.
    const handOff = deps.openHandOff?.() ?? null
    try {
      // On SQLite, a worker or a cron tick committing between this transaction's first read and
      // its first write would fail the write at once with SQLITE_BUSY_SNAPSHOT, so it takes the
      // write lock first (waiting for it without blocking the server).
      const o = { caps: deps.db.caps, handOff, endpoints: deps.endpoints, selectFirst }
      const results = await writeTransaction(deps.db, (trx) => ingestOnce(trx, events, now, o))
      // Only after the COMMIT: the runner must never send a row that might still roll back.
      handOff?.commit()
      return results
    } catch (err) {
      handOff?.cancel()
      // Known ids among the events: once more, the careful way (not counted as a failed attempt).
      if (err instanceof KnownIds && !selectFirst) { selectFirst = true; attempt -= 1; continue }
      if (attempt >= ATTEMPTS || !isUniqueViolation(err)) throw err
    }
  }
}

interface OnceOptions {
  caps: DialectCaps
  handOff: HandOff | null
  endpoints: ActiveEndpointsCache | undefined
  /** Select the known ids before inserting (after an insert-first attempt found some). */
  selectFirst: boolean
}

async function ingestOnce(trx: Kysely<Database>, events: readonly IncomingEvent[], now: number, o: OnceOptions): Promise<IngestResult[]> {
  // An id repeated inside one request counts once: the first copy is stored, later ones are duplicates.
  const firstById = new Map<string, IncomingEvent>()
  for (const e of events) if (!firstById.has(e.event.id)) firstById.set(e.event.id, e)
  const ids = [...firstById.keys()]

  const known = new Set<string>()
  if (o.selectFirst) {
    for (const part of chunks(ids, IDS_PER_QUERY)) {
      const rows = await trx.selectFrom('events').select('id').where('id', 'in', part).execute()
      for (const row of rows) known.add(row.id)
    }
  }

  const fresh = [...firstById.values()].filter((e) => !known.has(e.event.id))
  // Without selectFirst, duplicates are skipped by the insert itself, which reports how many it
  // took; with it, a row committed by another request since the select fails the insert with a
  // unique violation.
  const rows = fresh.map(({ event, payload }) => ({
    id: event.id, user_id: event.user_id, type: event.type, schema_version: event.schema_version,
    occurred_at: Date.parse(event.occurred_at), payload, received_at: now,
  }))
  const inserted = await insertRows(trx, o.caps, o.selectFirst ? EVENTS : EVENTS_SKIPPING_KNOWN, rows)
  if (!o.selectFirst && inserted !== rows.length) throw new KnownIds()
  const counts = await enqueueDeliveries(trx, fresh.map(({ event, payload }) => ({ id: event.id, user_id: event.user_id, type: event.type, payload })), now, { handOff: o.handOff, cache: o.endpoints, caps: o.caps })
  for (const [id, n] of await deliveryCounts(trx, [...known])) counts.set(id, n)

  const seen = new Set<string>()
  return events.map(({ event: { id } }) => {
    const duplicate = known.has(id) || seen.has(id)
    seen.add(id)
    return { id, deliveries: counts.get(id) ?? 0, duplicate }
  })
}

async function deliveryCounts(trx: Kysely<Database>, eventIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const part of chunks(eventIds, IDS_PER_QUERY)) {
    const rows = await trx
      .selectFrom('deliveries')
      .select(['event_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('event_id', 'in', part)
      .groupBy('event_id')
      .execute()
    for (const row of rows) counts.set(row.event_id, Number(row.n))
  }
  return counts
}

/** Duplicate key on MySQL/MariaDB (1062) or a PRIMARY KEY/UNIQUE constraint on SQLite. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE'
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  return out
}
