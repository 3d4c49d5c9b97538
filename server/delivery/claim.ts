// Claims are leases. A claim marks due rows with this runner's owner id and moves next_attempt_at
// to the end of the lease; an expired lease is simply due again, so a crashed worker's deliveries
// come back on their own (no sweeper) and nothing holds a database lock while HTTP is in flight.
import { sql, type Kysely } from 'kysely'
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

/**
 * QSM_LEASE_MS shortens the lease of a worker or of the web process's loop (tests and operations:
 * how soon a killed process's deliveries, claimed or handed off, come back). It is read by the
 * entry points only (server/main.ts, the CLI's worker), not part of the validated config.
 */
export function leaseMsFromEnv(timeoutMs: number, raw: string | undefined): number {
  if (!raw) return leaseMsFor(timeoutMs)
  const ms = Number(raw)
  if (!Number.isInteger(ms) || ms < 1000) throw new Error('QSM_LEASE_MS must be a whole number of milliseconds, at least 1000')
  return ms
}

/**
 * Fair claiming (docs/architecture.md, "Fair scheduling"): at most perUser rows per user and
 * perEndpoint per endpoint, none for users or endpoints this process already has at their cap,
 * taken in turns — every user's oldest row first, then every user's second, and so on.
 */
export interface FairShare {
  perUser: number
  perEndpoint: number
  skipUsers: readonly string[]
  skipEndpoints: readonly string[]
}

/**
 * Rounds of work a runner may hold per user and endpoint that have room: up to FAIR_DEPTH × their
 * cap, so one claim round trip feeds several sends. Hand-off (hand-off.ts) takes no more than this
 * either, so an ingest can never give one user more than a claim would have.
 */
export const FAIR_DEPTH = 4

/** A fair claim whose picks were all taken by another claimer in between is tried again, this often. */
const FAIR_TRIES = 3

export async function claimDue(db: Db, o: { owner: string; nowMs: number; limit: number; leaseMs: number; fair?: FairShare }): Promise<Claim[]> {
  if (!o.fair) return claimOnce(db, o)
  // The fair pick reads without locks, so several processes picking at the same moment pick the
  // same rows and all but one find them locked or leased. Empty-handed is not "nothing due":
  // pick again (a new transaction, so a new snapshot, where those rows are no longer due).
  for (let i = 1; ; i++) {
    const lost = { count: 0 }
    const claims = await claimOnce(db, o, lost)
    if (claims.length > 0 || lost.count === 0 || i >= FAIR_TRIES) return claims
  }
}

async function claimOnce(db: Db, o: { owner: string; nowMs: number; limit: number; leaseMs: number; fair?: FairShare }, lost = { count: 0 }): Promise<Claim[]> {
  const leaseUntil = o.nowMs + o.leaseMs
  // A short transaction: lock, mark, commit. Nothing slow happens inside it. On SQLite it holds
  // the write lock from its first statement, so no other process can lease the same rows.
  return writeTransaction(db, async (trx) => {
    const due = o.fair
      ? await selectFairDue(trx, db.caps.skipLocked, o.nowMs, o.limit, o.fair, lost)
      : await selectDue(trx, db.caps.skipLocked, o.nowMs, o.limit).execute()
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

type DueRow = { id: string; event_id: string; endpoint_id: string; user_id: string; event_type: string; attempts: number; lease_owner: string | null; manual_attempts: number; resume_at: number | null }

/**
 * Picks the ids in turns with two window functions (MariaDB 10.2+, SQLite 3.25+): rows are first
 * numbered per endpoint (only the first perEndpoint kept), then per user (first perUser kept), and
 * taken in order of that per-user number, so one user's backlog cannot fill the batch. The window
 * reads every due row (no lock), so the rows are then locked by id with SKIP LOCKED and the due
 * check repeated: a row another claimer took in between is simply left out.
 */
async function selectFairDue(trx: Kysely<Database>, skipLocked: boolean, nowMs: number, limit: number, f: FairShare, lost: { count: number }): Promise<DueRow[]> {
  const notIn = (col: string, list: readonly string[]) =>
    list.length === 0 ? sql`` : sql` and ${sql.ref(col)} not in (${sql.join(list.map((v) => sql`${v}`))})`
  const picked = await sql<{ id: string }>`
    select id from (
      select id, next_attempt_at, row_number() over (partition by user_id order by next_attempt_at, id) as nth_user
      from (
        select id, user_id, next_attempt_at, row_number() over (partition by endpoint_id order by next_attempt_at, id) as nth_endpoint
        from deliveries
        where status = 'pending' and next_attempt_at <= ${nowMs}${notIn('user_id', f.skipUsers)}${notIn('endpoint_id', f.skipEndpoints)}
      ) per_endpoint
      where nth_endpoint <= ${f.perEndpoint}
    ) per_user
    where nth_user <= ${f.perUser}
    order by nth_user, next_attempt_at, id
    limit ${limit}`.execute(trx)
  if (picked.rows.length === 0) return []
  const order = new Map(picked.rows.map((r, i) => [r.id, i]))
  const rows = await trx
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'endpoint_id', 'user_id', 'event_type', 'attempts', 'lease_owner', 'manual_attempts', 'resume_at'])
    .where('id', 'in', [...order.keys()])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', nowMs)
    .$if(skipLocked, (qb) => qb.forUpdate().skipLocked())
    .execute()
  lost.count = order.size - rows.length
  return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!)
}
