// What the fair claim's first read learns that does not change from one claim to the next: which
// endpoints have pending rows (MySQL: one index dive each, plus one; due-heads.ts) and whose each
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

/** How long a list of endpoints with pending rows is used before it is read again. */
export const MAX_AGE_MS = 1_000
/** Owners remembered at most; past it the map starts again (a lookup costs one query). */
const MAX_OWNERS = 10_000

export class PendingEndpoints {
  private list: string[] | null = null
  private at = 0
  private readonly owners = new Map<string, string>()

  constructor(private readonly now: () => number = () => performance.now(), private readonly maxAgeMs = MAX_AGE_MS) {}

  /** The list, if one was read less than maxAgeMs ago and not forgotten since. */
  fresh(): string[] | null {
    return this.list !== null && this.now() - this.at < this.maxAgeMs ? this.list : null
  }

  remember(list: string[]): void {
    this.list = list
    this.at = this.now()
  }

  /** New rows were committed here (a wake): read the list again at the next claim. */
  forget(): void {
    this.list = null
  }

  ownerOf(endpointId: string): string | undefined {
    return this.owners.get(endpointId)
  }

  rememberOwner(endpointId: string, userId: string): void {
    if (this.owners.size >= MAX_OWNERS) this.owners.clear()
    this.owners.set(endpointId, userId)
  }
}
