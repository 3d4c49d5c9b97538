// Group commit for ingest. Each request used to be its own transaction of ~6 statements, and
// commits serialise on the database's log flush: ~300 events/s. Here, requests that arrive while
// a batch is being written wait and go together in the next one, so one commit (one fsync) serves
// many requests. A request arriving when nothing is in flight is written at once: no added delay
// at low rates, batches form by themselves under load.
import type { Db } from '../db/connect.js'
import { isDatabaseDown } from '../db/down.js'
import { ApiError } from '../http/errors.js'
import type { HandOff } from '../delivery/types.js'
import { ActiveEndpointsCache } from '../delivery/enqueue.js'
import { ingestEvents, type IngestResult } from './ingest.js'
import type { IncomingEvent } from './parse-body.js'

interface Waiting {
  events: IncomingEvent[]
  resolve(results: IngestResult[]): void
  reject(err: unknown): void
}

export interface IngestBatcher {
  /** Resolves once this request's events are committed (with everyone else's in its batch). */
  submit(events: IncomingEvent[]): Promise<IngestResult[]>
  /** Events submitted and not yet stored: queued for a batch or in one being written. */
  waiting(): number
}

const MAX_EVENTS_PER_BATCH = 500
/**
 * Events waiting for a batch, at most. Past it a request is refused at once with 503 and
 * Retry-After (the bridge spools and resends), instead of holding an ever longer queue of bodies
 * in memory while the database falls behind. Ten full batches: far more than one commit's wait.
 */
export const MAX_QUEUED_EVENTS = 5_000
/**
 * While another batch is in flight, a new one starts only with at least this many events; fewer
 * wait for the next batch to finish. Without it, under load most transactions carried one event
 * (bench, MariaDB, c=64: 182 of 254 batches in 3 s), each request that found a free slot alone.
 */
const MIN_EVENTS_TO_OVERLAP = 16

/**
 * openHandOff: the dispatcher's (deps.ts), so each transaction can hand its deliveries to the delivery
 * loop of this process without this module knowing the engine's internals.
 */
export function createIngestBatcher(
  db: Db, now: () => number, onCommitted: (results: IngestResult[]) => void, openHandOff: () => HandOff | null = () => null,
): IngestBatcher {
  // SQLite has one writer, so a second transaction would only wait for the first; MySQL commits
  // a few at once and shares log flushes between them.
  const maxInFlight = db.caps.kind === 'sqlite' ? 1 : 4
  // Users' active endpoints for the fan-out, shared by this batcher's transactions (enqueue.ts: 1 s TTL).
  const endpoints = new ActiveEndpointsCache()
  let inFlight = 0
  let queue: Waiting[] = []
  let queuedEvents = 0
  let writingEvents = 0

  const runBatch = async (batch: Waiting[]) => {
    inFlight++
    const all = batch.flatMap((w) => w.events)
    writingEvents += all.length
    try {
      let results: IngestResult[]
      try {
        results = await ingestEvents({ db, openHandOff, endpoints }, all, now())
      } catch (err) {
        // One request must not fail its neighbours: unless the database itself is down, write
        // each request alone so only the one that fails answers with an error.
        if (batch.length === 1 || isDatabaseDown(err)) throw err
        for (const w of batch) {
          await ingestEvents({ db, openHandOff, endpoints }, w.events, now()).then(w.resolve, w.reject)
        }
        return
      }
      let offset = 0
      for (const w of batch) {
        w.resolve(results.slice(offset, offset + w.events.length))
        offset += w.events.length
      }
      onCommitted(results)
    } catch (err) {
      for (const w of batch) w.reject(err)
    } finally {
      inFlight--
      writingEvents -= all.length
      pump()
    }
  }

  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0 && (inFlight === 0 || queuedEvents >= MIN_EVENTS_TO_OVERLAP)) {
      const batch: Waiting[] = []
      let size = 0
      while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.events.length <= MAX_EVENTS_PER_BATCH)) {
        const next = queue.shift()!
        size += next.events.length
        queuedEvents -= next.events.length
        batch.push(next)
      }
      void runBatch(batch)
    }
  }

  return {
    waiting: () => queuedEvents + writingEvents,
    submit(events) {
      if (queuedEvents > 0 && queuedEvents + events.length > MAX_QUEUED_EVENTS) {
        return Promise.reject(new ApiError('unavailable', 'Too many events are waiting to be stored; try again in a second', undefined, { 'Retry-After': '1' }))
      }
      return new Promise((resolve, reject) => {
        queue.push({ events, resolve, reject })
        queuedEvents += events.length
        pump()
      })
    },
  }
}
