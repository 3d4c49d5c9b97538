// Contracts between the delivery engine and the rest of the app.
import type { Config } from '../config/schema.js'
import type { Clock, Random } from '../clock.js'
import type { Db } from '../db/connect.js'
import type { Logger } from '../log.js'
import type { SendLimiter } from './limiter.js'
import type { RateLimit } from './rate-windows.js'

/** How an attempt failed, in words a user can act on (shown in logs and test results). */
export type ErrorClass = 'http_error' | 'timeout' | 'refused' | 'dns' | 'tls' | 'reset' | 'blocked' | 'invalid_response' | 'error'

export interface SendRequest {
  url: string
  headers: Record<string, string>
  /** The exact bytes that were signed. Never re-serialised. */
  body: string
  timeoutMs: number
  /** Whose delivery this is: connection pools are kept per tenant, so users never queue on each other's sockets. */
  tenant?: string
}

export interface SendResult {
  /** True for 2xx only. */
  ok: boolean
  statusCode: number | null
  durationMs: number
  errorClass: ErrorClass | null
  /** Short, plain-words error; never contains secrets or the request body. */
  error: string | null
  /** From a Retry-After header on the response, in ms, when present. */
  retryAfterMs: number | null
  /** The first few hundred bytes of the response body, for the test button only. */
  responseExcerpt: string
}

export interface Sender {
  send(req: SendRequest): Promise<SendResult>
  close(): Promise<void>
}

export interface Dispatcher {
  /** Ask the in-process loop to look for due deliveries now (after an ingest commit). */
  wake(): void
  /**
   * A hand-off for one ingest transaction (server/delivery/hand-off.ts): the deliveries it inserts
   * may be written already leased to this process's runner and started from memory after the
   * commit, without a claim. Absent, or null, when no delivery loop runs in this process (a
   * `/tick`-only deployment): then every delivery is an ordinary due row.
   */
  openHandOff?(): HandOff | null
  stop(): Promise<void>
}

/** A new delivery row as enqueue.ts builds it, before it is written. */
export interface HandOffCandidate {
  id: string
  event_id: string
  endpoint_id: string
  user_id: string
  event_type: string
  /** The event's stored payload, sent exactly as stored. */
  payload: string
  /** The endpoint's rate limit as read for the fan-out. */
  rate: RateLimit | null
}

/** The lease a handed-off row is written with: exactly what a claim would have written. */
export interface HandOffLease {
  owner: string
  leaseUntil: number
}

/**
 * One ingest transaction's hand-off. plan() runs inside the transaction, before the insert, and
 * reserves the slots of the rows it takes; after the COMMIT, commit() hands them to the loop; if
 * the transaction fails, cancel() frees the reservations (rows that did commit anyway, e.g. a lost
 * COMMIT answer, stay leased and come back when the lease ends).
 */
export interface HandOff {
  /** For each candidate: its lease when this process starts it itself, null when it stays due. */
  plan(rows: readonly HandOffCandidate[]): (HandOffLease | null)[]
  commit(): void
  cancel(): void
}

export const idleDispatcher: Dispatcher = { wake() {}, stop: async () => {} }

/** What the engine needs to run deliveries: passed in, so tests move the clock and fix randomness. */
export interface EngineDeps {
  db: Db
  config: Config
  clock: Clock
  random: Random
  log: Logger
  /** Sends one signed HTTP request (undici in production and in tests, against a real receiver). */
  sender: Sender
  /** In-flight slots of this process, shared by everything that sends here. */
  limiter: SendLimiter
}
