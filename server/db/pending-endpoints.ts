// What the fair claim's first read learns that does not change from one claim to the next: which
// endpoints have pending rows (MySQL: a scan that skips each backlog; due-heads.ts) and whose each
// endpoint is (an endpoint never changes owner). A runner keeps one of these across its claims.
//
// In the worker's drain of one user's backlog (3 endpoints, MariaDB) the dives were 929 of the
// run's ~4,900 statements: 4 per claim, every claim finding the same 3 endpoints.
//
// Why reusing the list is safe: rows become pending through an ingest, a redelivery, a replay or a
// retry of a row that was already pending. In this process the first three wake the runner, and
// the wake forgets the list; a retry keeps its endpoint's rows pending, so its endpoint is still
// listed. Rows committed by another process are seen once the list is newRowsWithinMs old: the
// runner's poll (the web process's scheduler forgets everything on its 1 s poll; a worker polls
// every 250 ms and keeps the list no longer than that). An endpoint listed with no pending rows
// left costs its probe one empty range read.
//
// It also keeps each endpoint's first due rows as a claim read them (the heads), so the next claim
// probes again only the endpoints whose rows it took. Why: with many endpoints waiting, the probes
// are most of a claim, and a claim takes a few dozen rows: 300 users' 900 endpoints, 16 in flight,
// ~31 ms of probes for 32 rows, one claim at a time, so their backlog went out at 723–798/s
// (bench/README.md, "Overload"). Why reusing them is safe: a cached head is a row that was due and
// not leased. Rows are never due earlier than they were, so the cached rows stay each endpoint's
// oldest until somebody leases them: this runner (its claim drops those endpoints), another
// process (the pick finds the row taken; the claim drops every head), or this runner giving rows
// back (dropped too). Rows that became due since (new events of another process, retries whose
// time came, expired leases) are newer than every cached one and are read once the endpoint's
// heads are MAX_AGE_MS old by the claim's clock. Heads that were empty (nothing due then) are kept
// only newRowsWithinMs: a row due there now is the endpoint's oldest, not one behind a backlog.
// Until 5 December (night) they were kept a whole second in a worker that polls every 250 ms, so
// a user's event committed by another process, on an endpoint just probed empty, could wait a
// second before any worker saw it (tests/isolation/processes.test.ts: 1,018 ms on a slow CI box).
// New rows committed here are told by endpoint (touch): those endpoints are listed and probed
// again, the rest kept. Until 5 December every ingest that left rows due forgot the whole list and
// every head: with 1,000 users waiting, each claim during the load re-read 3,000 endpoints (~340 ms
// a claim). A wake without endpoints (the poll, a redelivery) still forgets everything.
//
// A read in flight when endpoints are touched (or everything forgotten) must not store what it
// read before the new rows were committed: each read takes a mark first, and its list and heads
// are kept only for endpoints not touched since (touches add to the list it stores).

/** One of an endpoint's first due rows, as the fair claim's first read gives it (due-heads.ts). */
export interface DueHead {
  id: string
  endpoint_id: string
  user_id: string
  next_attempt_at: number
}

/**
 * How long an endpoint's heads with rows in them are used before they are read again, and the list
 * of endpoints with pending rows and empty heads unless the runner polls more often (newRowsWithinMs).
 */
export const MAX_AGE_MS = 1_000
/** Owners remembered at most; past it the map starts again (a lookup costs one query). */
const MAX_OWNERS = 10_000

export class PendingEndpoints {
  private list: string[] | null = null
  private listed = new Set<string>()
  private at = 0
  private readonly owners = new Map<string, string>()
  /** Per endpoint: its first due rows, how many were asked for, and the claim clock then. */
  private readonly heads = new Map<string, { rows: DueHead[]; limit: number; at: number }>()
  /** Counts touches and forgets; a read's mark is its value when the read began. */
  private epoch = 0
  private forgotAt = 0
  /** Endpoints touched, with the epoch of their latest touch (see mark()). */
  private readonly touchedAt = new Map<string, number>()

  /**
   * maxAgeMs: how long an endpoint's heads with rows in them are reused. newRowsWithinMs: how long
   * the list and empty heads are, so how soon rows committed by another process are seen; a
   * runner passes its idle poll (runner.ts), never more than maxAgeMs.
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly maxAgeMs = MAX_AGE_MS,
    private readonly newRowsWithinMs = maxAgeMs,
  ) {}

  /** The list, if one was read less than newRowsWithinMs ago and not forgotten since. */
  fresh(): string[] | null {
    return this.list !== null && this.now() - this.at < this.newRowsWithinMs ? this.list : null
  }

  /**
   * Taken before a read; pass it to remember() and rememberHeads(). A runner reads one claim at a
   * time, so touches from before this read are settled (their heads dropped, their endpoints
   * listed) and need not be kept.
   */
  mark(): number {
    this.touchedAt.clear()
    return this.epoch
  }

  remember(list: string[], since = this.epoch): void {
    // Forgotten during the read: it may predate the new rows. The next claim reads again.
    if (this.forgotAt > since) return
    this.list = list
    this.listed = new Set(list)
    this.at = this.now()
    for (const [e, at] of this.touchedAt) if (at > since) this.add(e)
    // Endpoints no longer listed have no pending rows: nothing of theirs to keep.
    if (this.heads.size > 0) {
      for (const e of this.heads.keys()) if (!this.listed.has(e)) this.heads.delete(e)
    }
  }

  /** Rows may have become due anywhere (the poll, a redelivery): read the list and every endpoint's heads again at the next claim. */
  forget(): void {
    this.epoch += 1
    this.forgotAt = this.epoch
    this.list = null
    this.listed = new Set()
    this.heads.clear()
    this.touchedAt.clear()
  }

  /** New rows of these endpoints were committed here: list them, and probe them again at the next claim. */
  touch(endpointIds: Iterable<string>): void {
    this.epoch += 1
    for (const e of endpointIds) {
      this.touchedAt.set(e, this.epoch)
      this.heads.delete(e)
      this.add(e)
    }
  }

  /**
   * The endpoint's first `limit` due rows as last read, if read with at least that limit less than
   * maxAgeMs ago (claim clock), or less than newRowsWithinMs ago when there were none.
   */
  headsOf(endpointId: string, nowMs: number, limit: number): DueHead[] | undefined {
    const h = this.heads.get(endpointId)
    const maxAge = h?.rows.length === 0 ? this.newRowsWithinMs : this.maxAgeMs
    if (!h || h.limit < limit || nowMs < h.at || nowMs - h.at >= maxAge) return undefined
    return h.rows.length > limit ? h.rows.slice(0, limit) : h.rows
  }

  rememberHeads(endpointId: string, rows: DueHead[], limit: number, nowMs: number, since = this.epoch): void {
    if (this.forgotAt > since || (this.touchedAt.get(endpointId) ?? 0) > since) return
    this.heads.set(endpointId, { rows, limit, at: nowMs })
  }

  /** Rows of these endpoints were leased or given back by this runner: probe them again. */
  dropHeads(endpointIds: Iterable<string>): void {
    for (const e of endpointIds) this.heads.delete(e)
  }

  /** A pick found rows leased by another process: probe every endpoint again. */
  dropAllHeads(): void {
    this.heads.clear()
  }

  ownerOf(endpointId: string): string | undefined {
    return this.owners.get(endpointId)
  }

  rememberOwner(endpointId: string, userId: string): void {
    if (this.owners.size >= MAX_OWNERS) this.owners.clear()
    this.owners.set(endpointId, userId)
  }

  private add(endpointId: string): void {
    if (this.list === null || this.listed.has(endpointId)) return
    this.list.push(endpointId)
    this.listed.add(endpointId)
  }
}
