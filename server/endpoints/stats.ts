// Per-endpoint delivery figures for the dashboard, read-only over the delivery log. The list page
// asks for all its endpoints at once: two grouped queries in total, never one per endpoint.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export const STATS_WINDOW_MS = 24 * 3600 * 1000

export interface Stats {
  deliveries_24h: number
  success_rate_24h: number | null
  last_delivery_at: string | null
  last_delivery_status: 'pending' | 'succeeded' | 'failed' | null
}

export const NO_STATS: Stats = { deliveries_24h: 0, success_rate_24h: null, last_delivery_at: null, last_delivery_status: null }

/**
 * Counts cover deliveries created in the last 24 h. The "last delivery" is the newest one in the
 * whole retained log, so an endpoint that was quiet today still shows when it last got something.
 */
export async function endpointStats(db: Kysely<Database>, userId: string, endpointIds: string[], nowMs: number): Promise<Map<string, Stats>> {
  const out = new Map<string, Stats>()
  if (endpointIds.length === 0) return out

  const counts = await db
    .selectFrom('deliveries')
    .select((eb) => [
      'endpoint_id',
      eb.fn.countAll().as('total'),
      // SUM comes back as DECIMAL text from MySQL; Number() below evens that out.
      sql<number | string>`sum(case when status = 'succeeded' then 1 else 0 end)`.as('succeeded'),
      sql<number | string>`sum(case when status = 'failed' then 1 else 0 end)`.as('failed'),
    ])
    .where('user_id', '=', userId)
    .where('endpoint_id', 'in', endpointIds)
    .where('created_at', '>=', nowMs - STATS_WINDOW_MS)
    .groupBy('endpoint_id')
    .execute()

  // Ids are time-ordered, so the newest delivery of an endpoint is its largest id.
  const newest = db
    .selectFrom('deliveries')
    .select((eb) => ['endpoint_id', eb.fn.max('id').as('last_id')])
    .where('user_id', '=', userId)
    .where('endpoint_id', 'in', endpointIds)
    .groupBy('endpoint_id')
    .as('newest')
  const latest = await db
    .selectFrom('deliveries as d')
    .innerJoin(newest, 'newest.last_id', 'd.id')
    .select(['d.endpoint_id', 'd.status', 'd.last_attempt_at', 'd.created_at'])
    .execute()

  for (const id of endpointIds) out.set(id, { ...NO_STATS })
  for (const row of counts) {
    const succeeded = Number(row.succeeded ?? 0)
    const failed = Number(row.failed ?? 0)
    const stats = out.get(row.endpoint_id)!
    stats.deliveries_24h = Number(row.total)
    stats.success_rate_24h = succeeded + failed === 0 ? null : succeeded / (succeeded + failed)
  }
  for (const row of latest) {
    const stats = out.get(row.endpoint_id)!
    stats.last_delivery_at = new Date(Number(row.last_attempt_at ?? row.created_at)).toISOString()
    stats.last_delivery_status = row.status as Stats['last_delivery_status']
  }
  return out
}
