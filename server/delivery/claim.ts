// Claims are leases. A claim marks due rows with this runner's owner id and moves next_attempt_at
// to the end of the lease; an expired lease is simply due again, so a crashed worker's deliveries
// come back on their own (no sweeper) and nothing holds a database lock while HTTP is in flight.
import type { Kysely } from 'kysely'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/schema.js'
import { writeTransaction } from '../db/write-first.js'
import { dueHeads, type Heads } from '../db/due-heads.js'
import type { DialectCaps } from '../db/dialect.js'
import type { DueHead, PendingEndpoints } from '../db/pending-endpoints.js'

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
 * perEndpoint per endpoint, none for those the claimer leaves out (skipUsers, skipEndpoints: at
 * their cap here with a send that has run a while, or holding their full depth already), taken
 * in turns — every user's oldest row first, then every user's second, and so on.
 */
export interface FairShare {
  perUser: number
  perEndpoint: number
  skipUsers: readonly string[]
  skipEndpoints: readonly string[]
  /**
   * Jobs the claimer already holds or is sending, per user and endpoint. They count against
   * perUser and perEndpoint, and a user's rows rank after the ones it holds: a runner holding 200
   * of a user's jobs takes at most perUser − 200 more (before, a claim could take a whole perUser
   * again, and the surplus was given back a second later: a claim per finished send, each reading
   * hundreds of rows, in a drain of one user's backlog).
   */
  used?: { users: ReadonlyMap<string, number>; endpoints: ReadonlyMap<string, number> }
  /** The claimer's memory of endpoints with pending rows and their owners, kept across its claims. */
  pending?: PendingEndpoints
}

/**
 * Rounds of work a runner may hold waiting per user and endpoint that have room: up to FAIR_DEPTH ×
 * their cap behind the round being sent, so one claim round trip feeds several sends. Hand-off
 * (hand-off.ts) takes no more than this either, so an ingest can never give one user more than a
 * claim would have.
 */
export const FAIR_DEPTH = 4

/**
 * Jobs a runner may hold of one user or endpoint with a cap of `cap` in flight: the round being
 * sent and FAIR_DEPTH rounds waiting behind it. The last of those starts after FAIR_DEPTH sends'
 * time, which runner.ts keeps within its local wait (STUCK_MS).
 *
 * Why the round being sent is not one of the FAIR_DEPTH (it was until 5 December, night): with one
 * user at a cap of 64 draining a backlog on MariaDB, a claim took ~20 ms and could take only what
 * the 256 left after the jobs held and sending, ~126 rows, while the slots sent ~130 meanwhile. The
 * worker claimed back to back and its sends ran dry while each claim lasted: ~6,000 deliveries a
 * second at most (bench/README.md, run AI, F3).
 */
export const heldAtMost = (cap: number) => cap * (FAIR_DEPTH + 1)

/** A fair claim whose picks were all taken by another claimer in between is tried again, this often. */
const FAIR_TRIES = 3

/**
 * No caps: every user's oldest due row first, then every user's second, and so on. What a claim
 * without a fair share takes (the tests of leases); runners always pass their own caps.
 */
const OPEN_SHARE: FairShare = { perUser: Number.MAX_SAFE_INTEGER, perEndpoint: Number.MAX_SAFE_INTEGER, skipUsers: [], skipEndpoints: [] }

export async function claimDue(db: Db, o: ClaimOptions): Promise<Claim[]> {
  return (await claimFair(db, { ...o, fair: o.fair ?? OPEN_SHARE })).claims
}

export interface FairClaim {
  claims: Claim[]
  /** Users (`u:id`) and endpoints (`e:id`) left out of this claim that have rows due (due-heads.ts). */
  leftOut: Set<string>
  /** Rows were read past the depth every user was read to, and left: a claim of fewer than asked is not "all there was". */
  deeper: boolean
}

/** A fair claim, and whom it had to leave out while they had rows due. */
export async function claimFair(db: Db, o: ClaimOptions & { fair: FairShare }): Promise<FairClaim> {
  // The fair pick reads without locks, so several processes picking at the same moment pick the
  // same rows and all but one find them locked or leased. Empty-handed is not "nothing due":
  // pick again (a new transaction, so a new snapshot, where those rows are no longer due).
  for (let i = 1; ; i++) {
    const seen: PickReport = { lost: 0, leftOut: new Set(), deeper: false }
    const claims = await claimOnce(db, o, seen)
    // The heads the runner keeps (pending-endpoints.ts): those of the endpoints just leased are
    // read again next time, and all of them if another process had leased some.
    if (seen.lost > 0) o.fair.pending?.dropAllHeads()
    else o.fair.pending?.dropHeads(claims.map((c) => c.endpoint_id))
    if (claims.length > 0 || seen.lost === 0 || i >= FAIR_TRIES) return { claims, leftOut: seen.leftOut, deeper: seen.deeper }
  }
}

interface ClaimOptions { owner: string; nowMs: number; limit: number; leaseMs: number; fair?: FairShare }
/** What a fair pick saw besides its rows: picks another claimer took first, who was left out, and rows left past the read's depth. */
interface PickReport { lost: number; leftOut: Set<string>; deeper: boolean }

async function claimOnce(db: Db, o: ClaimOptions & { fair: FairShare }, seen: PickReport): Promise<Claim[]> {
  const leaseUntil = o.nowMs + o.leaseMs
  // With row locks (MySQL: the picks are locked by id with SKIP LOCKED afterwards and the due
  // check repeated) the fair pick's first read needs none, so it is made before the transaction,
  // which then holds its locks only to lock, mark and commit. With many endpoints waiting the read
  // is most of a claim (900 endpoints: ~30 ms). Without them (SQLite) it is made inside, under the
  // write lock the transaction takes first, so no other process leases rows in between.
  const heads = db.caps.skipLocked ? await fairHeads(db.db, db.caps, o.nowMs, o.limit, o.fair) : null
  // Nothing due for anyone with room: no transaction to open.
  if (heads && heads.heads.length === 0) { seen.leftOut = heads.leftOut; return [] }
  // A short transaction: lock, mark, commit. Nothing slow happens inside it. On SQLite it holds
  // the write lock from its first statement, so no other process can lease the same rows.
  return writeTransaction(db, async (trx) => {
    const due = await selectFairDue(trx, db.caps, o.nowMs, o.limit, o.fair, seen, heads ?? await fairHeads(trx, db.caps, o.nowMs, o.limit, o.fair))
    if (due.length === 0) return []
    const ids = due.map((r) => r.id)
    // By id alone. The rows were read in this transaction under its locks (MySQL: FOR UPDATE SKIP
    // LOCKED; SQLite: the write lock, taken before the first read), so none can have been leased by
    // another process since. Repeating the due check here made SQLite's planner pick a
    // status-first index range (then deliveries_claim) over the primary key — a read of every due
    // row per claim, a hostile user's backlog included.
    await trx
      .updateTable('deliveries')
      .set({ lease_owner: o.owner, next_attempt_at: leaseUntil, updated_at: o.nowMs })
      .where('id', 'in', ids)
      .execute()
    return due.map(({ lease_owner, manual_attempts, resume_at, ...r }) => ({
      ...r, attempts: Number(r.attempts), owner: o.owner, leaseUntil,
      trigger: lease_owner === MANUAL_MARKER ? 'manual' as const : lease_owner === REPLAY_MARKER ? 'replay' as const : 'scheduled' as const,
      manualAttempts: Number(manual_attempts ?? 0),
      resumeAt: resume_at === null ? null : Number(resume_at),
    }))
    // A lost claim (power cut before the fsync) is only a lease that never was: the rows stay due.
  }, { durable: false })
}

/** A runner holds this row now (a redelivery's or replay's marker is not a lease). */
export function sendingNow(row: { status: string; lease_owner: string | null }): boolean {
  return row.status === 'pending' && row.lease_owner !== null && !MARKERS.includes(row.lease_owner)
}

export function isMarker(owner: string | null): boolean {
  return MARKERS.includes(owner)
}

/**
 * Users that may have due rows the read did not reach: one of their endpoints gave all `depth`
 * rows asked for. None when the read went as deep as the caps and the batch allow (`full`).
 */
function unreadBeyond(heads: readonly DueHead[], depth: number, full: number): Set<string> {
  const users = new Set<string>()
  if (depth >= full) return users
  const rows = new Map<string, number>()
  for (const h of heads) rows.set(h.endpoint_id, (rows.get(h.endpoint_id) ?? 0) + 1)
  for (const h of heads) if (rows.get(h.endpoint_id)! >= depth) users.add(h.user_id)
  return users
}

type DueRow = { id: string; event_id: string; endpoint_id: string; user_id: string; event_type: string; attempts: number; lease_owner: string | null; manual_attempts: number; resume_at: number | null }

/**
 * The most rows of one endpoint a claim could take, so the deepest its first read goes. No endpoint
 * can give the batch more than `limit` rows: its k-th row is at least its user's k-th, so it would
 * come after `limit` rows of earlier rounds. A claim with room for 2 reads 2 rows per endpoint, not
 * 4 × the endpoint cap (a drain at 64 in flight claimed ~500 times a second and read 768 rows each
 * time to take 2: 66 % of the worker's CPU).
 */
const deepestRead = (f: FairShare, limit: number) => Math.min(f.perEndpoint, limit)

/** Each endpoint's first due rows for a fair pick (server/db/due-heads.ts), as of nowMs. */
function fairHeads(q: Kysely<Database>, caps: DialectCaps, nowMs: number, limit: number, f: FairShare): Promise<Heads> {
  return dueHeads(q, caps, { nowMs, perEndpoint: deepestRead(f, limit), batch: limit, skipUsers: f.skipUsers, skipEndpoints: f.skipEndpoints, pending: f.pending })
}

/**
 * Picks the ids in turns: each endpoint's first perEndpoint due rows (server/db/due-heads.ts reads
 * them without reading a hostile user's whole backlog on SQLite), then in memory each user's first
 * perUser of those, oldest first, and the batch takes every user's first row, then every user's
 * second, and so on, so one user's backlog cannot fill the batch. The picks are read without
 * locks, so the rows are then locked by id with SKIP LOCKED and the due check repeated: a row
 * another claimer took in between is left out.
 */
async function selectFairDue(trx: Kysely<Database>, caps: DialectCaps, nowMs: number, limit: number, f: FairShare, seen: PickReport, read: Heads): Promise<DueRow[]> {
  const { heads: candidates, leftOut } = read
  seen.leftOut = leftOut
  const older = (a: { next_attempt_at: number; id: string }, b: { next_attempt_at: number; id: string }) =>
    a.next_attempt_at - b.next_attempt_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  // Number each user's rows oldest first, after the ones it already holds; keep perUser in all
  // (and perEndpoint per endpoint); take round by round.
  const nth = new Map<string, number>()
  const perEp = new Map<string, number>()
  // Read shallower than the caps and the batch allow (due-heads.ts: enough rounds for the users
  // waiting), a user whose endpoint gave every row asked for may have unread rows. Its rounds are
  // exact only as far as its first `depth` rows as read reach (after what it holds); past the lowest
  // such round, another user's row of the same round may be unread, so the pick stops there and
  // leaves the rest for the next claim. Read as deep as allowed, every row that could be taken was read.
  const unread = unreadBeyond(candidates, read.depth, deepestRead(f, limit))
  // Rows as read so far of each of those users, and the last round known for each.
  const shown = new Map<string, number>()
  const exactTo = new Map<string, number>([...unread].map((u) => [u, f.used?.users.get(u) ?? 0]))
  const ranked: { id: string; round: number; next_attempt_at: number }[] = []
  for (const r of candidates.sort(older)) {
    const s = unread.has(r.user_id) ? (shown.get(r.user_id) ?? 0) + 1 : 0
    if (s > 0) shown.set(r.user_id, s)
    const e = (perEp.get(r.endpoint_id) ?? f.used?.endpoints.get(r.endpoint_id) ?? 0) + 1
    perEp.set(r.endpoint_id, e)
    if (e > f.perEndpoint) continue
    const n = (nth.get(r.user_id) ?? f.used?.users.get(r.user_id) ?? 0) + 1
    nth.set(r.user_id, n)
    if (s > 0 && s <= read.depth) exactTo.set(r.user_id, n)
    if (n <= f.perUser) ranked.push({ id: r.id, round: n, next_attempt_at: r.next_attempt_at })
  }
  const lastRound = Math.min(Number.POSITIVE_INFINITY, ...exactTo.values())
  const exact = ranked.filter((r) => r.round <= lastRound)
  exact.sort((a, b) => a.round - b.round || older(a, b))
  const picked = exact.slice(0, limit)
  const cut = exact.length < ranked.length
  // Only a claim left short by the depth says so; a full one took the oldest turns either way.
  seen.deeper = cut && picked.length < limit
  if (picked.length === 0) return []
  const order = new Map(picked.map((r, i) => [r.id, i]))
  const rows = await trx
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'endpoint_id', 'user_id', 'event_type', 'attempts', 'lease_owner', 'manual_attempts', 'resume_at'])
    .select(['status', 'next_attempt_at'])
    .where('id', 'in', [...order.keys()])
    .$if(caps.skipLocked, (qb) => qb.forUpdate().skipLocked())
    .execute()
  // The due check in code, not in the WHERE: with it there SQLite's planner read a status-first
  // index range (then deliveries_claim: every due row) instead of looking the ids up by primary key.
  const due = rows.filter((r) => r.status === 'pending' && Number(r.next_attempt_at) <= nowMs)
  seen.lost = order.size - due.length
  return due.sort((a, b) => order.get(a.id)! - order.get(b.id)!).map(({ status, next_attempt_at, ...r }) => r)
}
