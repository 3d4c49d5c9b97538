// Claims are leases. A claim marks due rows with this runner's owner id and moves next_attempt_at
// to the end of the lease; an expired lease is simply due again, so a crashed worker's deliveries
// come back on their own (no sweeper) and nothing holds a database lock while HTTP is in flight.
import type { Kysely } from 'kysely'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/schema.js'
import { writeTransaction } from '../db/write-first.js'

export interface Claim {
  id: string
  event_id: string
  endpoint_id: string
  user_id: string
  event_type: string
  /** Attempts made before this one. */
  attempts: number
  owner: string
  /** next_attempt_at while leased. (owner, leaseUntil) identifies this claim of this row. */
  leaseUntil: number
  /** 'manual' / 'replay' when a redelivery or replay marked the row (MANUAL_MARKER, REPLAY_MARKER); recorded on the attempt. */
  trigger: 'scheduled' | 'manual' | 'replay'
  /** Attempts made by redeliveries and replays: they do not count against the automatic budget. */
  manualAttempts: number
  /** The automatic retry time a manual attempt interrupted; the delivery goes back to it if the attempt fails. */
  resumeAt: number | null
}

/**
 * A due row whose lease_owner is this marker (and not a live lease: its next_attempt_at is due)
 * was made due by a user's redelivery; its attempt is logged with trigger 'manual'. Claiming
 * replaces the marker with the real owner.
 */
export const MANUAL_MARKER = 'manual'
/** The same for a replay (POST /v1/deliveries/replay): its attempt is logged with trigger 'replay'. */
export const REPLAY_MARKER = 'replay'
const MARKERS: (string | null)[] = [MANUAL_MARKER, REPLAY_MARKER]

/**
 * Long enough for one send that hits the full timeout, plus waiting in the local queue, plus a
 * margin: a lease must never run out while its request is in flight, or a second runner could
 * send the same delivery at the same time.
 */
export function leaseMsFor(timeoutMs: number): number {
  return timeoutMs * 3 + 30_000
}

export async function claimDue(db: Db, o: { owner: string; nowMs: number; limit: number; leaseMs: number }): Promise<Claim[]> {
  const leaseUntil = o.nowMs + o.leaseMs
  // A short transaction: lock, mark, commit. Nothing slow happens inside it. On SQLite it holds
  // the write lock from its first statement, so no other process can lease the same rows.
  return writeTransaction(db, async (trx) => {
    const due = await selectDue(trx, db.caps.skipLocked, o.nowMs, o.limit).execute()
    if (due.length === 0) return []
    const ids = due.map((r) => r.id)
    // The due check is repeated so that, even without row locks, a row another process leased in
    // the meantime is not taken over.
    const res = await trx
      .updateTable('deliveries')
      .set({ lease_owner: o.owner, next_attempt_at: leaseUntil, updated_at: o.nowMs })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', o.nowMs)
      .executeTakeFirst()
    let mine = due
    if (Number(res.numUpdatedRows) !== due.length) {
      const owned = await trx.selectFrom('deliveries').select('id').where('id', 'in', ids).where('lease_owner', '=', o.owner).where('next_attempt_at', '=', leaseUntil).execute()
      const ownedIds = new Set(owned.map((r) => r.id))
      mine = due.filter((r) => ownedIds.has(r.id))
    }
    return mine.map(({ lease_owner, manual_attempts, resume_at, ...r }) => ({
      ...r, attempts: Number(r.attempts), owner: o.owner, leaseUntil,
      trigger: lease_owner === MANUAL_MARKER ? 'manual' as const : lease_owner === REPLAY_MARKER ? 'replay' as const : 'scheduled' as const,
      manualAttempts: Number(manual_attempts ?? 0),
      resumeAt: resume_at === null ? null : Number(resume_at),
    }))
  })
}

/**
 * The due rows, locked. The WHERE and ORDER BY match the deliveries_claim index (status,
 * next_attempt_at, id) — ordering by next_attempt_at, id and not by status first, which makes
 * MariaDB 10.11 filesort (bench F2) — so InnoDB locks only the rows it returns. SKIP LOCKED lets
 * concurrent claimers pass over rows another claimer is taking right now instead of waiting for
 * them. SQLite has one writer at a time and no row locks; there the transaction keeps claims apart.
 */
export function selectDue(db: Kysely<Database>, skipLocked: boolean, nowMs: number, limit: number) {
  return db
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'endpoint_id', 'user_id', 'event_type', 'attempts', 'lease_owner', 'manual_attempts', 'resume_at'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', nowMs)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .$if(skipLocked, (qb) => qb.forUpdate().skipLocked())
}

/** A runner holds this row now (a redelivery's or replay's marker is not a lease). */
export function sendingNow(row: { status: string; lease_owner: string | null }): boolean {
  return row.status === 'pending' && row.lease_owner !== null && !MARKERS.includes(row.lease_owner)
}

export function isMarker(owner: string | null): boolean {
  return MARKERS.includes(owner)
}
