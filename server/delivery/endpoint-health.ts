// An endpoint's failure streak and automatic disabling. Runs after the delivery rows committed, one
// short statement at a time in endpoint id order: endpoint rows are shared by many deliveries, and
// holding their locks inside the ack transaction would make concurrent acks wait on each other.
// (On SQLite, which has one writer anyway, the statements share one write transaction.)
import { bumpEndpoint } from '../endpoints/versions.js'
import type { Kysely } from 'kysely'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/schema.js'
import { autocommitWrites } from '../db/write-first.js'
import type { Config } from '../config/schema.js'
import type { Finish } from './outcome.js'
import { GONE_REASON } from './retry-policy.js'

/**
 * Time alone is not enough: after a forward clock jump (or for an endpoint that gets one event a
 * week) two failures can be days apart. A streak must also hold this many failed attempts.
 */
export const MIN_FAILED_ATTEMPTS_TO_DISABLE = 5

async function failedAttemptsSince(q: Kysely<Database>, endpointId: string, since: number): Promise<number> {
  // Every attempt since the streak began failed (a success ends the streak); test sends do not count.
  const rows = await q
    .selectFrom('delivery_attempts')
    .innerJoin('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
    .select('delivery_attempts.id')
    .where('deliveries.endpoint_id', '=', endpointId)
    .where('delivery_attempts.started_at', '>=', since)
    .where('delivery_attempts.trigger', '!=', 'test')
    .limit(MIN_FAILED_ATTEMPTS_TO_DISABLE)
    .execute()
  return rows.length
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'

export function streakReason(failingSince: number, disableAfterMs: number): string {
  const span = disableAfterMs % 86_400_000 === 0 ? `${disableAfterMs / 86_400_000} days` : `${Math.round(disableAfterMs / 3_600_000)} hours`
  return `Failing continuously for ${span.replace(/^1 (day|hour)s/, '1 $1')} (since ${day(failingSince)})`
}

export async function applyEndpointEffects(db: Db, applied: readonly Finish[], config: Config, nowMs: number): Promise<void> {
  const clear = new Set<string>()
  const streak = new Set<string>()
  const gone = new Set<string>()
  for (const f of applied) {
    const id = f.claim.endpoint_id
    if (f.endpointEffect === 'clear') clear.add(id)
    else if (f.endpointEffect === 'streak') streak.add(id)
    else if (f.endpointEffect === 'gone') gone.add(id)
  }
  // Most results are successes at endpoints that were not failing: nothing to write. Reading first
  // leaves SQLite's single write lock to the work that needs it.
  const failing = clear.size === 0 ? [] : await db.db.selectFrom('endpoints').select('id').where('id', 'in', [...clear].sort()).where('failing_since', 'is not', null).execute()
  if (failing.length === 0 && streak.size === 0 && gone.size === 0) return
  const effects = { clear, toClear: new Set(failing.map((r) => r.id)), streak, gone }
  // On SQLite all in one write transaction (one lock, waited for without blocking the process).
  await autocommitWrites(db, (q) => applyOn(q, effects, config, nowMs))
}

interface Effects {
  /** Endpoints that answered in this batch. */
  clear: Set<string>
  /** Those of them whose failure streak is to be cleared. */
  toClear: Set<string>
  streak: Set<string>
  gone: Set<string>
}

async function applyOn(q: Kysely<Database>, { clear, toClear, streak, gone }: Effects, config: Config, nowMs: number): Promise<void> {
  const sorted = (s: Set<string>) => [...s].sort()

  if (toClear.size > 0) {
    await q.updateTable('endpoints').set({ failing_since: null }).where('id', 'in', sorted(toClear)).where('failing_since', 'is not', null).execute()
  }
  bumpEndpoint(...gone, ...streak)
  for (const id of sorted(gone)) {
    await q
      .updateTable('endpoints')
      .set({ is_active: 0, disabled_reason: GONE_REASON, disabled_at: nowMs, updated_at: nowMs })
      .where('id', '=', id)
      .where('is_active', '=', 1)
      .execute()
  }
  for (const id of sorted(streak)) {
    if (clear.has(id)) continue // a success in the same batch: the endpoint answers, no streak
    await q.updateTable('endpoints').set({ failing_since: nowMs }).where('id', '=', id).where('failing_since', 'is', null).execute()
    const row = await q.selectFrom('endpoints').select(['failing_since', 'is_active']).where('id', '=', id).executeTakeFirst()
    if (!row || row.failing_since === null || Number(row.is_active) !== 1) continue
    const since = Number(row.failing_since)
    if (nowMs - since < config.disableAfterMs) continue
    if ((await failedAttemptsSince(q, id, since)) < MIN_FAILED_ATTEMPTS_TO_DISABLE) continue
    // Guarded by the streak start we read, so a success that cleared it meanwhile wins.
    await q
      .updateTable('endpoints')
      .set({ is_active: 0, disabled_reason: streakReason(since, config.disableAfterMs), disabled_at: nowMs, updated_at: nowMs })
      .where('id', '=', id)
      .where('is_active', '=', 1)
      .where('failing_since', '=', since)
      .execute()
  }
}
