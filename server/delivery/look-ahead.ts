// How many claimed jobs a runner keeps ahead of its free slots, so that sends do not stop while
// the next claim is in flight.
//
// A fixed two rounds of the global cap (2 × QSM_CONCURRENCY) is enough while a claim is quick
// beside a send: one user's backlog on MariaDB, a claim of ~2 ms against sends of ~1 ms each. It
// is not when a claim is slow: with 1,000 users waiting (3,000 endpoints), each claim took ~10 ms
// of probes, fair pick and lease and brought 8 jobs, which 4 slots sent in ~2 ms; the runner then
// sent nothing for the rest of the claim, and the backlog went out at ~700/s (bench/README.md,
// "Many users"). A claim's cost barely grows with the rows it takes, so the look-ahead covers
// what the slots send while a claim is in flight, COVER times over: sends finished per ms × claim
// ms × COVER.
//
// Never less than the two rounds, never more than MAX, and never more than the slots send in half
// of LOCAL_WAIT_MS: a held job that cannot start within that wait is given back (runner.ts).

/** Jobs held ahead at most, whatever the rates (the largest claim a runner makes: runner.ts batchSize). */
export const MAX_LOOK_AHEAD = 200

/** Weight of the newest sample in the running averages. */
const WEIGHT = 0.25

/**
 * Four, not two: on SQLite the claim runs on the thread that sends, so it is not only a wait the
 * held jobs must bridge but time taken from the sends. With two, the SQLite runner at 1,000 users
 * never got past two rounds (claims of ~4.7 ms at 0.8 sends a ms: 7.5 jobs) and claimed 86 times
 * a second for ~9 rows, 40 % of the thread; with four, ~40 rows a claim and 20 % of it.
 */
const COVER = 4

export class LookAhead {
  private claimMs = 0
  private perMs = 0
  private finishedSince = 0
  private since: number

  constructor(
    /** Two rounds of the global cap: the look-ahead while nothing has been measured. */
    private readonly base: number,
    /** The wait a held job is allowed (runner.ts LOCAL_WAIT_MS). */
    private readonly localWaitMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.since = this.now()
  }

  /** A send ended (any outcome): its slot is free for the next held job. */
  finished(): void {
    this.finishedSince += 1
  }

  /**
   * A claim (with its prepare) took `ms`. The send rate is measured over the time since the last
   * claim ended, so it is the rate the runner actually kept up, claims included.
   */
  claimed(ms: number): void {
    const at = this.now()
    const span = at - this.since
    if (span > 0) this.perMs = mix(this.perMs, this.finishedSince / span)
    this.claimMs = mix(this.claimMs, ms)
    this.finishedSince = 0
    this.since = at
  }

  /** Jobs to keep claimed ahead of the free slots now. */
  size(): number {
    const cover = Math.ceil(this.perMs * this.claimMs * COVER)
    const waitBound = Math.floor((this.perMs * this.localWaitMs) / 2)
    return Math.max(this.base, Math.min(MAX_LOOK_AHEAD, cover, waitBound))
  }
}

const mix = (avg: number, sample: number) => (avg === 0 ? sample : avg + (sample - avg) * WEIGHT)
