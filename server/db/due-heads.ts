// The fair claim's first read (server/delivery/claim.ts): each endpoint's first `perEndpoint` due
// rows, oldest first, leaving out users and endpoints the claimer has no room for. The claim then
// ranks them by user in memory. How to read them cheaply differs by database, so it is here.
//
// SQLite runs in the service's own thread, so a read of every due row stalls everything: a window
// over a hostile user's 20,000 due rows made each claim read them all, and the noisy-neighbour
// bench spent 22 % of the process's CPU in that query. Here the deliveries_due_by_endpoint index
// (status, endpoint_id, next_attempt_at, id, user_id) is read one probe per endpoint instead: a
// recursive CTE whose step asks for the next endpoint id (a loose index scan, 2 ms for 21 endpoints
// beside 20,000 rows), then a limited range read per endpoint.
//
// MySQL/MariaDB: the same shape, each step in a form MariaDB reads by the index whatever its
// statistics say: the endpoints by a scan that skips each one's backlog (pendingEndpointIdsMysql; a
// runner reuses that list for up to 1 s, or its poll when shorter: pending-endpoints.ts), then the
// probes as one UNION ALL per 100 endpoints (per statement ~0.2 ms of round trip).
// Until 3 December MySQL read the heads with one window (row_number() over each endpoint's due
// rows): 3 ms beside 20,000 due rows, but it sorts every due row, and beside the /tick bench's
// 100,000 it took 580–720 ms a claim (one /tick delivered 5,060 of them in 20 s).
import { sql, type Kysely } from 'kysely'
import type { DialectCaps } from './dialect.js'
import type { Database } from './schema.js'
import type { DueHead, PendingEndpoints } from './pending-endpoints.js'

export interface HeadsQuery {
  nowMs: number
  /** Rows read per endpoint at most (the claim's caps). */
  perEndpoint: number
  /**
   * The rows the claim may take. With `pending`, each endpoint is asked for no more rows than the
   * users waiting need to fill it in turns (depthFor), not for perEndpoint.
   */
  batch?: number
  skipUsers: readonly string[]
  skipEndpoints: readonly string[]
  /** The runner's memory of endpoints with pending rows and of their owners (pending-endpoints.ts). */
  pending?: PendingEndpoints
}

export interface Heads {
  heads: DueHead[]
  /**
   * The users (`u:id`) and endpoints (`e:id`) left out that have a row due now. A runner claims
   * again when one of THEIR sends ends; a left-out endpoint with nothing due (only its request in
   * flight) is not waited on, or every finished send of a busy healthy endpoint started a claim
   * that found nothing (noisy-neighbour bench, SQLite: 1,463 claims in 15 s, all but 4 empty).
   */
  leftOut: Set<string>
  /**
   * Every user's first `depth` due rows are among the heads (each endpoint was read that deep), so
   * a pick in turns is exact up to that round. A user's later rows may be in the heads too (from
   * its other endpoints), but other users' rows of the same rounds may not.
   */
  depth: number
}

export async function dueHeads(q: Kysely<Database>, caps: DialectCaps, o: HeadsQuery): Promise<Heads> {
  // Rows committed here while this read runs are told by touch(); what it read before them is not kept.
  const since = o.pending?.mark()
  let endpoints = o.pending?.fresh() ?? null
  if (endpoints === null) {
    endpoints = caps.kind === 'mysql' ? await pendingEndpointIdsMysql(q) : await pendingEndpointIds(q)
    o.pending?.remember(endpoints, since)
  }
  const ofSkippedUsers = caps.kind === 'mysql' ? await ofUsers(q, endpoints, o) : new Set<string>()
  const skipUsers = new Set(o.skipUsers)
  const skipEndpoints = new Set(o.skipEndpoints)
  const depth = depthFor(endpoints, o, skipUsers, skipEndpoints)
  // A left-out endpoint, or on MySQL one known to be a left-out user's, is only asked whether it has
  // a row due.
  const limitFor = (e: string) => (skipEndpoints.has(e) || ofSkippedUsers.has(e) ? 1 : depth)
  // Endpoints whose heads the runner still holds (pending-endpoints.ts) are not probed again.
  const rows: DueHead[] = []
  const toProbe: string[] = []
  for (const e of endpoints) {
    const cached = o.pending?.headsOf(e, o.nowMs, limitFor(e))
    if (cached) rows.push(...cached)
    else toProbe.push(e)
  }
  const probed = await probedHeads(q, caps, toProbe, limitFor, o)
  rows.push(...probed)
  if (o.pending) {
    const fresh = new Map<string, DueHead[]>(toProbe.map((e) => [e, []]))
    for (const r of probed) fresh.get(r.endpoint_id)?.push(r)
    for (const [e, heads] of fresh) o.pending.rememberHeads(e, heads, limitFor(e), o.nowMs, since)
    // Owners, for the next claim's depth (an endpoint never changes owner).
    for (const r of probed) if (o.pending.ownerOf(r.endpoint_id) === undefined) o.pending.rememberOwner(r.endpoint_id, r.user_id)
  }
  const heads: DueHead[] = []
  const leftOut = new Set<string>()
  for (const r of rows) {
    if (skipUsers.has(r.user_id)) leftOut.add(`u:${r.user_id}`)
    else if (skipEndpoints.has(r.endpoint_id)) leftOut.add(`e:${r.endpoint_id}`)
    else heads.push({ ...r, next_attempt_at: Number(r.next_attempt_at) })
  }
  return { heads, leftOut, depth }
}

/**
 * How deep to read each endpoint: enough rounds for the users waiting to fill the batch in turns,
 * ceil(batch / users), never more than perEndpoint. Why: a claim of 200 over 300 users takes their
 * first rows only, but read 200 rows of each of their endpoints, and kept them between claims
 * (bench/README.md, "Overload": 64 in flight, 300 users). Users are counted from the listed
 * endpoints with room, by owner where known; an endpoint whose owner is unknown counts as a user of
 * its own, and one whose heads it still holds empty (read with nothing due, within the last second
 * or its runner's poll, pending-endpoints.ts) is not counted. Counting too many
 * users reads too shallow: the claim then takes fewer rows (only the exact rounds, claim.ts), never
 * rows out of turn.
 */
function depthFor(endpoints: readonly string[], o: HeadsQuery, skipUsers: ReadonlySet<string>, skipEndpoints: ReadonlySet<string>): number {
  if (o.batch === undefined || !o.pending) return o.perEndpoint
  const users = new Set<string>()
  for (const e of endpoints) {
    if (skipEndpoints.has(e)) continue
    const owner = o.pending.ownerOf(e)
    if (owner !== undefined && skipUsers.has(owner)) continue
    if (o.pending.headsOf(e, o.nowMs, 1)?.length === 0) continue
    users.add(owner ?? `endpoint ${e}`)
  }
  return Math.max(1, Math.min(o.perEndpoint, Math.ceil(o.batch / Math.max(1, users.size))))
}

/**
 * MySQL: endpoints with a pending row, by a scan of deliveries_due_by_endpoint that skips ahead.
 * Each statement reads the next `step` index entries after the last endpoint found; every endpoint
 * among them is listed, and the next statement starts past the last one. An endpoint with a deep
 * backlog costs one statement of `step` entries, never its whole backlog; shallow endpoints come
 * many to a statement.
 */
async function pendingEndpointIdsMysql(q: Kysely<Database>): Promise<string[]> {
  // Until 5 December this was one index dive per endpoint (select min(endpoint_id) … > ?), each its
  // own round trip: 3,000 waiting endpoints (1,000 users) took 260–470 ms of dives once a second,
  // and their backlog went out at 366–479/s (bench/README.md, "Many users"). Read this way, 7–21 ms.
  // The ORDER BY must not name `status`: with it MariaDB 10.11 sorted the whole range ("Using
  // filesort", 13 s beside 150,000 due rows) rather than read the index in order. Not a GROUP BY:
  // MariaDB reads that by a loose index scan only when its statistics say so (beside 50,000 rows
  // of 21 endpoints it read them all, 85 ms); its recursive CTE evaluates each step without the
  // range (230,001 index reads).
  const due: string[] = []
  let step = FIRST_STEP
  for (let after = ''; ;) {
    const rows = (await sql<{ endpoint_id: string }>`
      select endpoint_id from deliveries force index (deliveries_due_by_endpoint)
      where status = 'pending' and endpoint_id > ${after}
      order by endpoint_id, next_attempt_at, id limit ${sql.lit(step)}`.execute(q)).rows
    const before = due.length
    for (const r of rows) if (r.endpoint_id !== due[due.length - 1]) due.push(r.endpoint_id)
    if (rows.length < step) return due
    after = due[due.length - 1]!
    // Many endpoints in one statement: they are shallow, read further at once. One: it is deep, and
    // a long read would be its backlog.
    step = due.length - before > 1 ? Math.min(MAX_STEP, step * 4) : FIRST_STEP
  }
}

/** Index entries read by the first statement of the scan, and at most by any. */
const FIRST_STEP = 16
const MAX_STEP = 1_024

/**
 * MySQL: which of the endpoints belong to users left out (those are only asked whether they have
 * a row due, not for their rows). Owners are looked up by primary key once and then remembered.
 */
async function ofUsers(q: Kysely<Database>, endpoints: readonly string[], o: HeadsQuery): Promise<Set<string>> {
  const ofSkippedUsers = new Set<string>()
  if (o.skipUsers.length === 0 || endpoints.length === 0) return ofSkippedUsers
  const skip = new Set(o.skipUsers)
  const unknown: string[] = []
  for (const e of endpoints) {
    const owner = o.pending?.ownerOf(e)
    if (owner === undefined) unknown.push(e)
    else if (skip.has(owner)) ofSkippedUsers.add(e)
  }
  // An endpoint deleted meanwhile has no row here: its rows are still claimed (and then closed by
  // the runner's endpoint check), never left pending.
  for (let i = 0; i < unknown.length; i += PROBE_CHUNK) {
    const owners = await q.selectFrom('endpoints').select(['id', 'user_id']).where('id', 'in', unknown.slice(i, i + PROBE_CHUNK)).execute()
    for (const r of owners) {
      o.pending?.rememberOwner(r.id, r.user_id)
      if (skip.has(r.user_id)) ofSkippedUsers.add(r.id)
    }
  }
  return ofSkippedUsers
}

/** Endpoint ids per round of the loose scan; the recursion stays far below any limit. */
const ROUND = 200
/** MySQL: endpoints read per statement when taking their first due rows (one round trip each). */
const PROBE_CHUNK = 100
/**
 * SQLite: the sizes of the probe statements, largest first. SQLite keeps a compiled statement per
 * text (sqlite-statements.ts), and a member of the UNION costs ~2.6 KB of its memory, outside V8's
 * heap: with chunks of any length up to 100 and each member's limit written into the text, the
 * cache held dozens of 100-member statements (~260 KB each) at 1,000 users. Three sizes and the
 * limit as a parameter make three texts; a statement costs no round trip here, so more of them
 * cost little.
 */
const SQLITE_CHUNKS = [32, 8, 1] as const

/**
 * Each endpoint's first `limitFor(endpoint)` due rows. An endpoint left out (or, on MySQL, known to
 * belong to a user left out) is asked for one row only: not to take it, but to learn whether it has
 * anything due.
 */
async function probedHeads(
  q: Kysely<Database>, caps: DialectCaps, endpoints: readonly string[], limitFor: (endpointId: string) => number, o: HeadsQuery,
): Promise<DueHead[]> {
  // MariaDB, left to itself, read a probe by deliveries_claim (every due row oldest first, filtered
  // by endpoint: 600 ms beside 50,000 older rows of others), so the index is named.
  const mysql = caps.kind === 'mysql'
  const from = mysql ? sql`deliveries force index (deliveries_due_by_endpoint)` : sql`deliveries`
  const out: DueHead[] = []
  for (let i = 0; i < endpoints.length;) {
    const left = endpoints.length - i
    const size = mysql ? Math.min(PROBE_CHUNK, left) : SQLITE_CHUNKS.find((n) => n <= left)!
    const probes = endpoints.slice(i, i + size).map((e, n) => {
      const limit = limitFor(e)
      const probe = sql`select id, endpoint_id, user_id, next_attempt_at from ${from}
        where status = 'pending' and endpoint_id = ${e} and next_attempt_at <= ${o.nowMs}
        order by next_attempt_at, id limit ${mysql ? sql.lit(limit) : limit}`
      // SQLite allows no parentheses around the members of a UNION, only derived tables
      // (co-routines); MySQL needs the parentheses for a member's own ORDER BY and LIMIT.
      return mysql ? sql`(${probe})` : sql`select * from (${probe}) as ${sql.raw(`p${n}`)}`
    })
    i += size
    const res = await sql<DueHead>`${sql.join(probes, sql` union all `)}`.execute(q)
    out.push(...res.rows)
  }
  return out
}

/** SQLite: every endpoint id with a pending row, in index order, one index seek each. */
async function pendingEndpointIds(q: Kysely<Database>): Promise<string[]> {
  const found: string[] = []
  let after = ''
  for (;;) {
    const res = await sql<{ endpoint_id: string }>`
      with recursive e (endpoint_id, n) as (
        select (select min(endpoint_id) from deliveries where status = 'pending' and endpoint_id > ${after}), 1
        union all
        select (select min(d.endpoint_id) from deliveries d where d.status = 'pending' and d.endpoint_id > e.endpoint_id), e.n + 1
        from e where e.endpoint_id is not null and e.n < ${sql.lit(ROUND)}
      )
      select endpoint_id from e where endpoint_id is not null`.execute(q)
    found.push(...res.rows.map((r) => r.endpoint_id))
    if (res.rows.length < ROUND) return found
    after = found[found.length - 1]!
  }
}
