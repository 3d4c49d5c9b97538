// How much ingest one web process holds at once. A bridge request whose signature checks out goes
// on to be parsed and stored only while fewer than MAX_INGEST_REQUESTS are in progress and their
// bodies add up to at most MAX_INGEST_BYTES; otherwise it is answered 503 with Retry-After at once
// and the bridge spools it. A request in progress holds its body, the parsed events, their rows
// being written and the server's own request objects until its answer.
//
// Why after the signature and not before the body is read: a request counted from its first byte
// would hold its place while its body arrives, so a few hundred clients sending slowly (30 s each,
// server-options.ts) could keep the bridge out. Bodies being read are bounded on their own (64 KB
// each, 30 s); what grew without bound was the wait for the database, which is what this counts.
//
// Why: the group commit's queue bound (MAX_QUEUED_EVENTS, 5,000 events) was the only one, and it
// counts events only once parsed and queued. With more requests at once than the database keeps up
// with, memory grew with them: web RSS peaked at 188 MB with 2,048 single-event requests in flight
// and at 161 MB with 64 requests of 50 events, against a budget of 150 MB (issue 13;
// bench/tools/overload.ts, MariaDB, 5 December). With these bounds the same loads peaked at
// 143 and 140 MB, and the bench's own phases (64 requests of one event) never reach them.
//
// Why these sizes: 256 requests of one event let in peaked at 142–146 MB, 128 at 136–139. A budget of
// 2 MB of bodies took 64 and 256 requests of 50 events to 154–156 MB, 1 MB to 143–152, 512 KB to
// 137–140, at about the same events per second within the machine's noise (3,500–5,600 a second
// for batches: a commit of ~500 events is already one fsync for many).

/** Ingest requests in progress at most. The bench's closed loop keeps 64. */
export const MAX_INGEST_REQUESTS = 128
/** Bodies in progress at most, in characters of their text (the bridge's JSON is ASCII: bytes). */
export const MAX_INGEST_BYTES = 512 * 1024

export interface IngestGate {
  /** Lets a request with a body this long in and returns its leave(), or null: refuse it. */
  enter(size: number): (() => void) | null
  /** Requests and body bytes in progress now. */
  inProgress(): { requests: number; bytes: number }
}

export function createIngestGate(maxRequests = MAX_INGEST_REQUESTS, maxBytes = MAX_INGEST_BYTES): IngestGate {
  let requests = 0
  let bytes = 0
  return {
    enter(size) {
      // The first request in always gets in: a body larger than the budget must not be refused
      // for ever (the body limit keeps it far below; this is for a budget set lower in tests).
      if (requests > 0 && (requests >= maxRequests || bytes + size > maxBytes)) return null
      requests += 1
      bytes += size
      let left = false
      return () => {
        if (left) return
        left = true
        requests -= 1
        bytes -= size
      }
    },
    inProgress: () => ({ requests, bytes }),
  }
}
