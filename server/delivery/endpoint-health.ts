// An endpoint's failure streak and automatic disabling. Runs after the delivery rows committed, one
// short statement at a time in endpoint id order: endpoint rows are shared by many deliveries, and
// holding their locks inside the ack transaction would make concurrent acks wait on each other.
// (On SQLite, which has one writer anyway, the statements share one write transaction.)
// After the writes, each endpoint whose health changed state is announced once (health-alerts.ts).
import type { Kysely } from 'kysely'
import { bumpEndpoint } from '../endpoints/versions.js'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/schema.js'
import { autocommitWrites } from '../db/write-first.js'
import type { Config } from '../config/schema.js'
import type { Finish } from './outcome.js'
import { GONE_REASON } from './retry-policy.js'
import { sql } from 'kysely'
import { transitionFor, type AnnouncedState } from './health-state.js'
import { announce } from './health-alerts.js'

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
  const streak = new Map<string, Streak>()
  const gone = new Set<string>()
  for (const f of applied) {
    const id = f.claim.endpoint_id
    if (f.endpointEffect === 'clear') clear.add(id)
    else if (f.endpointEffect === 'streak') {
      const s = streak.get(id) ?? { failures: 0, lastAt: 0, lastError: null }
      s.failures += 1
      const at = f.attempt?.startedAt ?? nowMs
      if (at >= s.lastAt) Object.assign(s, { lastAt: at, lastError: f.lastError })
      streak.set(id, s)
    } else if (f.endpointEffect === 'gone') gone.add(id)
  }
  // Most results are successes at endpoints that were not failing: nothing to write. Reading first
  // leaves SQLite's single write lock to the work that needs it.
  const failing = clear.size === 0
    ? []
    : await db.db
      .selectFrom('endpoints')
      .select('id')
      .where('id', 'in', [...clear].sort())
      .where((eb) => eb.or([eb('failing_since', 'is not', null), eb('alert_state', '!=', 'healthy'), eb('consecutive_failures', '>', 0)]))
      .execute()
  if (failing.length === 0 && streak.size === 0 && gone.size === 0) return
  const effects = { clear, toClear: new Set(failing.map((r) => r.id)), streak, gone }
  // On SQLite all in one write transaction (one lock, waited for without blocking the process).
  await autocommitWrites(db, (q) => applyOn(q, effects, config, nowMs))
}

interface Streak {
  failures: number
  lastAt: number
  lastError: string | null
}

interface Effects {
  /** Endpoints that answered in this batch. */
  clear: Set<string>
  /** Those of them whose failure streak is to be cleared (or whose owner is to hear they recovered). */
  toClear: Set<string>
  streak: Map<string, Streak>
  gone: Set<string>
}

async function applyOn(q: Kysely<Database>, { clear, toClear, streak, gone }: Effects, config: Config, nowMs: number): Promise<void> {
  const sorted = (s: Iterable<string>) => [...s].sort()
  const changes: { id: string; happened: 'success' | 'failure' | 'disabled' }[] = []

  if (toClear.size > 0) {
    await q.updateTable('endpoints').set({ failing_since: null, consecutive_failures: 0 }).where('id', 'in', sorted(toClear)).execute()
    for (const id of sorted(toClear)) changes.push({ id, happened: 'success' })
  }
  bumpEndpoint(...gone, ...streak.keys())
  for (const id of sorted(gone)) {
    await q
      .updateTable('endpoints')
      .set({ is_active: 0, disabled_reason: GONE_REASON, disabled_at: nowMs, updated_at: nowMs })
      .where('id', '=', id)
      .where('is_active', '=', 1)
      .execute()
    changes.push({ id, happened: 'disabled' })
  }
  for (const id of sorted(streak.keys())) {
    if (clear.has(id)) continue // a success in the same batch: the endpoint answers, no streak
    const s = streak.get(id)!
    await q
      .updateTable('endpoints')
      .set({
        failing_since: sql<number>`coalesce(failing_since, ${nowMs})`,
        consecutive_failures: sql<number>`consecutive_failures + ${s.failures}`,
        last_failure_at: s.lastAt,
        last_failure_error: s.lastError,
      })
      .where('id', '=', id)
      .execute()
    changes.push({ id, happened: 'failure' })
    const row = await q.selectFrom('endpoints').select(['failing_since', 'is_active']).where('id', '=', id).executeTakeFirst()
    if (!row || row.failing_since === null || Number(row.is_active) !== 1) continue
    const since = Number(row.failing_since)
    if (nowMs - since < config.disableAfterMs) continue
    if ((await failedAttemptsSince(q, id, since)) < MIN_FAILED_ATTEMPTS_TO_DISABLE) continue
    // Guarded by the streak start we read, so a success that cleared it meanwhile wins.
    const res = await q
      .updateTable('endpoints')
      .set({ is_active: 0, disabled_reason: streakReason(since, config.disableAfterMs), disabled_at: nowMs, updated_at: nowMs })
      .where('id', '=', id)
      .where('is_active', '=', 1)
      .where('failing_since', '=', since)
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) === 1) changes.push({ id, happened: 'disabled' })
  }
  await announceChanges(q, changes, config, nowMs)
}

/** Tells the owner (e-mail, operational event) about each endpoint whose health changed state. */
async function announceChanges(q: Kysely<Database>, changes: { id: string; happened: 'success' | 'failure' | 'disabled' }[], config: Config, nowMs: number): Promise<void> {
  const policy = { failingAfterFailures: config.failingAfterFailures, failingAfterMs: config.failingAfterMs }
  // The last thing that happened to an endpoint decides (a failure followed by a disable: disabled).
  const last = new Map<string, 'success' | 'failure' | 'disabled'>()
  for (const c of changes) {
    if (last.get(c.id) !== 'disabled') last.set(c.id, c.happened)
  }
  for (const id of sorted(last.keys())) {
    const row = await q.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) continue
    const to: AnnouncedState | null = transitionFor(row, last.get(id)!, policy)
    if (!to) continue
    // Its own short transaction on MySQL, which a concurrent ack can deadlock: try again, since a
    // lost "disabled" would never be announced (nothing is sent to a disabled endpoint any more).
    for (let tries = 1; ; tries++) {
      try {
        await announce(q, id, to, nowMs, config, config.smtpUrl !== '')
        break
      } catch (err) {
        if (tries >= 3 || q.isTransaction) throw err
        await new Promise((r) => setTimeout(r, 20 * tries))
      }
    }
  }
}

const sorted = (s: Iterable<string>) => [...s].sort()
