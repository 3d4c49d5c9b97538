// Whose turn it is: which held job a free slot goes to. Users take turns for the slots, and a
// user's endpoints take turns within that user's share (docs/architecture.md, "Fair scheduling"):
// the slot goes to the startable job whose user started a send longest ago, then whose endpoint
// did; jobs of equal standing keep their queue order (oldest claim or hand-off first).
//
// One pick per free slot, each a single pass over the held jobs, rather than a sort of the whole
// queue: the runner asks after every finished send, and sorting 100–200 held jobs each time was
// 8.5 % of a draining worker's CPU. A start moves its user and endpoint to the back at once, so a
// second slot freed in the same pass goes to another user before this user's next job.

/** The part of a job the turns look at. */
export interface TurnTaker {
  claim: { user_id: string; endpoint_id: string }
}

export class Turns {
  private seq = 0
  private readonly users = new Map<string, number>()
  private readonly endpoints = new Map<string, number>()

  /** A send of this job started now: its user and endpoint go to the back. */
  started(job: TurnTaker): void {
    this.seq += 1
    this.users.set(job.claim.user_id, this.seq)
    this.endpoints.set(job.claim.endpoint_id, this.seq)
  }

  /**
   * The job a free slot goes to, or null when none may start. `startable` is asked only of jobs
   * that would win over the best found so far, so a long queue behind busy users costs little.
   */
  next<J extends TurnTaker>(jobs: Iterable<J>, startable: (job: J) => boolean): J | null {
    let best: J | null = null
    let bestUser = 0
    let bestEndpoint = 0
    for (const job of jobs) {
      const u = this.users.get(job.claim.user_id) ?? 0
      if (best && u > bestUser) continue
      const e = this.endpoints.get(job.claim.endpoint_id) ?? 0
      if (best && u === bestUser && e >= bestEndpoint) continue
      if (!startable(job)) continue
      best = job
      bestUser = u
      bestEndpoint = e
    }
    return best
  }
}
