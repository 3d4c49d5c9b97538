// Reads of endpoints, always scoped to one user, and the row → API mapping (the one place where
// stored unix milliseconds become ISO strings and is_active/disabled_reason become a status).
// The secret never leaves through here: only secret.ts and create.ts hand out plaintext.
import { rateLimitOf } from '../delivery/prepare.js'
import type { Kysely } from 'kysely'
import type { Database, EndpointRow } from '../db/schema.js'
import type { EndpointApi, RecentFailureApi } from './schemas.js'
import { healthOf, type HealthPolicy } from '../delivery/health-state.js'
import { type Stats, NO_STATS } from './stats.js'
import { maskedHeaders } from './custom-headers.js'
import { isoTime } from '../http/iso-time.js'


export function endpointStatus(row: Pick<EndpointRow, 'is_active' | 'disabled_reason'>): EndpointApi['status'] {
  if (Number(row.is_active) === 1) return 'active'
  return row.disabled_reason ? 'disabled' : 'paused'
}

/** The previous key is shown only while it still signs; after its grace it is history. */
function activePrevious(row: EndpointRow, nowMs: number): { id: string; expiresAt: number } | null {
  const expiresAt = row.previous_expires_at === null ? null : Number(row.previous_expires_at)
  if (!row.previous_key_id || expiresAt === null || expiresAt <= nowMs) return null
  return { id: row.previous_key_id, expiresAt }
}

export function endpointToApi(row: EndpointRow, nowMs: number, policy: HealthPolicy, stats: Stats = NO_STATS, recentFailures: RecentFailureApi[] = []): EndpointApi {
  const previous = activePrevious(row, nowMs)
  const health = healthOf(row, policy)
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: JSON.parse(row.event_types) as string[],
    is_active: Number(row.is_active) === 1,
    status: endpointStatus(row),
    disabled_reason: row.disabled_reason,
    disabled_at: isoTime(row.disabled_at),
    secret_key_id: row.secret_key_id,
    previous_key_id: previous?.id ?? null,
    previous_key_expires_at: previous ? isoTime(previous.expiresAt) : null,
    rate_limit: rateLimitOf(row),
    headers: maskedHeaders(row.custom_headers),
    created_at: isoTime(row.created_at)!,
    updated_at: isoTime(row.updated_at)!,
    stats,
    health: {
      ...health, since: isoTime(health.since), failing_since: isoTime(health.failing_since), last_failure_at: isoTime(health.last_failure_at), recent_failures: recentFailures,
    },
  }
}

export async function findEndpoint(db: Kysely<Database>, userId: string, id: string): Promise<EndpointRow | undefined> {
  return db.selectFrom('endpoints').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst()
}

/** Oldest first (ids are time-ordered), so a dashboard list does not reshuffle as endpoints are added. */
export async function listEndpointRows(db: Kysely<Database>, userId: string, opts: { cursor?: string; limit: number }) {
  let q = db.selectFrom('endpoints').selectAll().where('user_id', '=', userId)
  if (opts.cursor) q = q.where('id', '>', opts.cursor)
  const rows = await q.orderBy('id', 'asc').limit(opts.limit + 1).execute()
  const page = rows.slice(0, opts.limit)
  return { rows: page, nextCursor: rows.length > opts.limit ? page[page.length - 1]!.id : null }
}

/** Patterns as stored: duplicates dropped, first mention keeps its place. */
export function normalisePatterns(patterns: readonly string[]): string {
  return JSON.stringify([...new Set(patterns)])
}
