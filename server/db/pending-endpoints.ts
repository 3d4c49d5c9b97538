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
// listed. Rows committed by another process are seen once the list is MAX_AGE_MS old, which is
// within the runner's poll anyway. An endpoint listed with no pending rows left costs its probe
// one empty range read.
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
// heads are MAX_AGE_MS old by the claim's clock; a wake (new rows here) forgets them all, as it
// forgets the list.

/** One of an endpoint's first due rows, as the fair claim's first read gives it (due-heads.ts). */
export interface DueHead {
  id: string
  endpoint_id: string
  user_id: string
  next_attempt_at: number
}

/** How long a list of endpoints with pending rows is used before it is read again. */
export const MAX_AGE_MS = 1_000
/** Owners remembered at most; past it the map starts again (a lookup costs one query). */
const MAX_OWNERS = 10_000

export class PendingEndpoints {
  private list: string[] | null = null
  private at = 0
  private readonly owners = new Map<string, string>()
  /** Per endpoint: its first due rows, how many were asked for, and the claim clock then. */
  private readonly heads = new Map<string, { rows: DueHead[]; limit: number; at: number }>()

  constructor(private readonly now: () => number = () => performance.now(), private readonly maxAgeMs = MAX_AGE_MS) {}

  /** The list, if one was read less than maxAgeMs ago and not forgotten since. */
  fresh(): string[] | null {
    return this.list !== null && this.now() - this.at < this.maxAgeMs ? this.list : null
  }

  remember(list: string[]): void {
    this.list = list
    this.at = this.now()
    // Endpoints no longer listed have no pending rows: nothing of theirs to keep.
    if (this.heads.size > 0) {
      const listed = new Set(list)
      for (const e of this.heads.keys()) if (!listed.has(e)) this.heads.delete(e)
    }
  }

  /** New rows were committed here (a wake): read the list and every endpoint's heads again at the next claim. */
  forget(): void {
    this.list = null
    this.heads.clear()
  }

  /** The endpoint's first `limit` due rows as last read, if read with at least that limit less than maxAgeMs ago (claim clock). */
  headsOf(endpointId: string, nowMs: number, limit: number): DueHead[] | undefined {
    const h = this.heads.get(endpointId)
    if (!h || h.limit < limit || nowMs < h.at || nowMs - h.at >= this.maxAgeMs) return undefined
    return h.rows.length > limit ? h.rows.slice(0, limit) : h.rows
  }

  rememberHeads(endpointId: string, rows: DueHead[], limit: number, nowMs: number): void {
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
}
