// The re-check right before each request (issue 12: stale claims). A job carries the endpoint's
// URL, keys and custom headers as read for its claim batch; by the time a slot frees the user may have deleted
// the endpoint, paused it, moved its URL or rotated its secret with no grace. So before sending:
// if this process wrote the endpoint since (its version was bumped), or the copy is older than
// RECHECK_MS (a write by another process), the row is read again — one small query per endpoint
// per RECHECK_MS, shared by every job of that endpoint — and the job is sent with the current URL
// and keys, or not sent at all.
import type { Db } from '../db/connect.js'
import type { Config } from '../config/schema.js'
import type { EndpointRow } from '../db/schema.js'
import { keysAt } from '../endpoints/signing-keys.js'
import { endpointVersion } from '../endpoints/versions.js'
import { notSent, type Finish } from './outcome.js'
import { offReason, openEndpoint, rateLimitOf, UNREADABLE_SECRETS, type Job, type OpenedEndpoint } from './prepare.js'

/** How old a copy of an endpoint may be at send time: the bound for writes made elsewhere. */
export const RECHECK_MS = 1_000
const MAX_CACHED = 10_000

/**
 * One read of an endpoint. `opened`: its keys and custom headers decrypted, once for every job
 * checked against this read (null: they could not be). Handed-off jobs carry no keys, so each is
 * checked here, and decrypting per job cost ~7 µs of the sending thread per delivery.
 */
type Fresh = { version: number; readAt: number; row: EndpointRow | undefined; opened?: OpenedEndpoint | null }

export type Checked = { send: Job } | { skip: Finish }

export class EndpointGuard {
  private readonly cache = new Map<string, Fresh>()
  private readonly reading = new Map<string, Promise<Fresh>>()

  constructor(private readonly db: Db, private readonly config: Config) {}

  /** nowMs: the (injectable) clock, for key expiry. Ages are real time: the bound is wall time. */
  async check(job: Job, nowMs: number): Promise<Checked> {
    const id = job.claim.endpoint_id
    const current = endpointVersion(id)
    const age = (readAt: number) => Date.now() - readAt
    if (job.version === current && age(job.readAt) < RECHECK_MS) return { send: job }
    let fresh = this.cache.get(id)
    if (!fresh || fresh.version !== current || age(fresh.readAt) >= RECHECK_MS) fresh = await this.read(id, current)
    const row = fresh.row
    if (!row) return { skip: notSent(job.claim, 'Endpoint deleted') }
    if (Number(row.is_active) !== 1) return { skip: notSent(job.claim, offReason(row)) }
    // undefined: not opened yet for this read; null: opened, and unreadable.
    if (fresh.opened === undefined) fresh.opened = openEndpoint(row, this.config.appKey, nowMs)
    const opened = fresh.opened
    if (!opened) return { skip: notSent(job.claim, UNREADABLE_SECRETS) }
    // The grace of a previous key is judged at each send, not at the read.
    const keys = keysAt(opened.keys, nowMs)
    return { send: { ...job, url: row.url, keys, customHeaders: opened.headers, rate: rateLimitOf(row), version: fresh.version, readAt: fresh.readAt } }
  }

  private read(id: string, version: number): Promise<Fresh> {
    // Shared only by checks that saw the same version: a read begun before a write is not reused.
    const key = `${id}|${version}`
    const inFlight = this.reading.get(key)
    if (inFlight) return inFlight
    const p = (async () => {
      const readAt = Date.now()
      const row = await this.db.db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst()
      const fresh = { version, readAt, row }
      if (this.cache.size >= MAX_CACHED) this.cache.clear()
      this.cache.set(id, fresh)
      return fresh
    })().finally(() => this.reading.delete(key))
    this.reading.set(key, p)
    return p
  }
}
