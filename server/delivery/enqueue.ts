// Fan-out at ingest: one pending delivery per (event, matching active endpoint of the event's
// user). Runs inside the caller's transaction, so events and their deliveries commit together; the
// unique (event_id, endpoint_id) index makes a second fan-out of the same event impossible.
// With a hand-off (the in-process loop runs here), the rows this process has room to send are
// written already leased to its runner, exactly as a claim would have left them, and started from
// memory after the commit (hand-off.ts); the rest are ordinary due rows for the claim path.
import type { Insertable, Kysely } from 'kysely'
import type { Database, DeliveriesTable } from '../db/schema.js'
import { newId } from '../db/ids.js'
import { endpointWants } from '../events/types.js'
import { rateLimitOf } from './prepare.js'
import type { RateLimit } from './rate-windows.js'
import type { HandOff, HandOffCandidate } from './types.js'
import { endpointWrites } from '../endpoints/versions.js'
import { insertRows, type RowsInsert } from '../db/insert-rows.js'
import type { DialectCaps } from '../db/dialect.js'

export interface EnqueueEvent {
  id: string
  user_id: string
  type: string
  /** The stored payload; needed only with a hand-off (a handed-off job is sent without reading it back). */
  payload?: string
}

/** The deliveries INSERT (exported for bench/tools/front-door-micro.ts, which times building it). */
export const DELIVERIES: RowsInsert<Insertable<DeliveriesTable>> = {
  table: 'deliveries',
  columns: [
    'id', 'event_id', 'endpoint_id', 'user_id', 'event_type', 'status', 'attempts', 'next_attempt_at', 'lease_owner',
    'last_status_code', 'last_error', 'last_attempt_at', 'last_duration_ms', 'created_at', 'updated_at',
  ],
  // 15 columns a row: 500 rows stay far below MySQL's placeholder limit (SQLite: db/insert-chunks.ts).
  mysqlRowsPerInsert: 500,
}
const USERS_PER_QUERY = 500

/** Inserts the deliveries and returns how many each event got (0 when no endpoint wants it). */
export async function enqueueDeliveries(
  db: Kysely<Database>,
  events: readonly EnqueueEvent[],
  now: number,
  /** Operational events are never sent to the endpoint they are about (health-alerts.ts). */
  opts: { excludeEndpointId?: string; handOff?: HandOff | null; cache?: ActiveEndpointsCache; caps?: Pick<DialectCaps, 'kind'> } = {},
): Promise<Map<string, number>> {
  const counts = new Map(events.map((e) => [e.id, 0]))
  if (events.length === 0) return counts
  const userIds = [...new Set(events.map((e) => e.user_id))]
  const endpointsByUser = opts.cache ? await opts.cache.get(db, userIds) : await activeEndpoints(db, userIds)

  const rows: Insertable<DeliveriesTable>[] = []
  const candidates: HandOffCandidate[] = []
  for (const event of events) {
    for (const endpoint of endpointsByUser.get(event.user_id) ?? []) {
      if (endpoint.id === opts.excludeEndpointId || !endpointWants(endpoint.patterns, event.type)) continue
      const id = newId('dlv', now)
      rows.push({
        id, event_id: event.id, endpoint_id: endpoint.id, user_id: event.user_id, event_type: event.type,
        status: 'pending', attempts: 0, next_attempt_at: now, lease_owner: null,
        last_status_code: null, last_error: null, last_attempt_at: null, last_duration_ms: null, created_at: now, updated_at: now,
      })
      if (opts.handOff && event.payload !== undefined) {
        candidates.push({ id, event_id: event.id, endpoint_id: endpoint.id, user_id: event.user_id, event_type: event.type, payload: event.payload, rate: endpoint.rate })
      }
      counts.set(event.id, (counts.get(event.id) ?? 0) + 1)
    }
  }
  if (opts.handOff && candidates.length > 0) {
    // Decided (and the slots reserved) before the insert, inside this transaction: the leased rows
    // and the reservations appear together at the commit, or neither does (the caller cancels).
    const leases = opts.handOff.plan(candidates)
    const byId = new Map(rows.map((r) => [r.id, r]))
    candidates.forEach((c, i) => {
      const lease = leases[i]
      const row = byId.get(c.id)
      if (!lease || !row) return
      row.lease_owner = lease.owner
      row.next_attempt_at = lease.leaseUntil
    })
  }
  // Without caps (one operational event: a few rows), one statement per 500 rows.
  await insertRows(db, opts.caps ?? { kind: 'mysql' }, DELIVERIES, rows)
  return counts
}

/**
 * Each user's active endpoints, kept for TTL_MS so an ingest batch usually needs no endpoint query
 * (most users have none, and that answer is kept too). Any endpoint write in this process (create,
 * update, pause, delete, secret change, automatic disabling: endpoints/versions.ts) empties it at
 * once. A write made by another process is seen here within TTL_MS: an endpoint created there
 * gets the events ingested here from then on, one paused or deleted there may still get a
 * delivery row for that long, which the send-time EndpointGuard then finishes unsent ("Endpoint is
 * paused" / "deleted"). One cache per ingest batcher (deps.ts), so per database.
 */
export class ActiveEndpointsCache {
  static readonly TTL_MS = 1_000
  private readonly byUser = new Map<string, { at: number; list: ActiveEndpoint[] }>()
  private writes = endpointWrites()

  constructor(private readonly maxUsers = 10_000) {}

  async get(db: Kysely<Database>, userIds: string[]): Promise<Map<string, ActiveEndpoint[]>> {
    if (this.writes !== endpointWrites()) {
      this.byUser.clear()
      this.writes = endpointWrites()
    }
    const writesBefore = this.writes
    const out = new Map<string, ActiveEndpoint[]>()
    const missing: string[] = []
    const now = Date.now()
    for (const u of userIds) {
      const hit = this.byUser.get(u)
      if (hit && now - hit.at < ActiveEndpointsCache.TTL_MS) out.set(u, hit.list)
      else missing.push(u)
    }
    if (missing.length === 0) return out
    const read = await activeEndpoints(db, missing)
    // A write during the read may not be in what was read: use it for this batch, keep none of it.
    const keep = endpointWrites() === writesBefore
    if (keep && this.byUser.size + missing.length > this.maxUsers) this.byUser.clear()
    for (const u of missing) {
      const list = read.get(u) ?? []
      out.set(u, list)
      if (keep) this.byUser.set(u, { at: now, list })
    }
    return out
  }
}

interface ActiveEndpoint {
  id: string
  patterns: string[]
  rate: RateLimit | null
}

async function activeEndpoints(db: Kysely<Database>, userIds: string[]): Promise<Map<string, ActiveEndpoint[]>> {
  const byUser = new Map<string, ActiveEndpoint[]>()
  for (let i = 0; i < userIds.length; i += USERS_PER_QUERY) {
    const rows = await db
      .selectFrom('endpoints')
      .select(['id', 'user_id', 'event_types', 'rate_limit_per', 'rate_limit_max'])
      .where('user_id', 'in', userIds.slice(i, i + USERS_PER_QUERY))
      .where('is_active', '=', 1)
      .orderBy('id')
      .execute()
    for (const row of rows) {
      const list = byUser.get(row.user_id) ?? []
      list.push({ id: row.id, patterns: parsePatterns(row.event_types), rate: rateLimitOf(row) })
      byUser.set(row.user_id, list)
    }
  }
  return byUser
}

/** A row written by hand with broken JSON subscribes to nothing rather than failing the ingest. */
function parsePatterns(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : []
  } catch {
    return []
  }
}
