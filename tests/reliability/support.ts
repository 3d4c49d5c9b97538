// Small helpers shared by tests/reliability and tests/security: signed bridge requests, example
// events, row counts and a dump of every row of every table.
import { sql } from 'kysely'
import { sign } from '../../server/signing/sign.js'
import { EXAMPLES } from '../../server/events/examples.js'
import { newId } from '../../server/db/ids.js'
import type { Db } from '../../server/db/connect.js'
import { ALL_TABLES } from '../helpers/db.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { parseJsonOr } from '../helpers/json.js'

export type ExampleType = keyof typeof EXAMPLES
export const BRIDGE_TYPES = (Object.keys(EXAMPLES) as ExampleType[]).filter((t) => t !== 'webhook.test')

/** A valid event envelope of `type` for `userId` with a fresh id. */
export function exampleEvent(type: ExampleType = 'email.failed', userId = 'u1', id = newId('evt')) {
  return { ...structuredClone(EXAMPLES[type]), id, user_id: userId }
}

export interface SignOpts {
  secret?: string
  /** Unix seconds to sign with (default: now from nowMs). */
  timestamp?: number
  id?: string
}

/** The three Standard Webhooks headers the bridge sends, over the exact body text. */
export function bridgeHeaders(body: string, nowMs: number, opts: SignOpts = {}): Record<string, string> {
  const ts = opts.timestamp ?? Math.floor(nowMs / 1000)
  const id = opts.id ?? 'req_' + newId('evt').slice(4)
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': sign(Buffer.from(opts.secret ?? TEST_SECRETS.QSM_BRIDGE_SECRET, 'utf8'), id, ts, body),
  }
}

export interface Requestable {
  request(path: string, init?: RequestInit): Response | Promise<Response>
}

/** POST /v1/events, signed, through app.request() or a real socket (pass a fetch-like object). */
export async function postEvents(app: Requestable, body: unknown, nowMs: number, opts: SignOpts = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const res = await app.request('/v1/events', { method: 'POST', headers: bridgeHeaders(text, nowMs, opts), body: text })
  const raw = await res.text()
  const json = parseJsonOr(raw)
  return { status: res.status, json, headers: res.headers, raw }
}

/** A Requestable over a real socket. */
export function overHttp(baseUrl: string): Requestable {
  return { request: (path, init) => fetch(baseUrl + path, init) }
}

export async function rowCounts(db: Db): Promise<Record<(typeof ALL_TABLES)[number], number>> {
  const out = {} as Record<(typeof ALL_TABLES)[number], number>
  for (const table of ALL_TABLES) {
    const row = await db.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
    out[table] = Number(row.n)
  }
  return out
}

/** Every row of every table (including migration bookkeeping), as text, for "no secret anywhere" checks. */
export async function dumpAllRows(db: Db): Promise<string> {
  const tables =
    db.caps.kind === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db.db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database()`.execute(db.db)).rows.map((r) => r.name)
  let out = ''
  for (const name of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db.db)).rows
    out += `## ${name} (${rows.length})\n`
    for (const row of rows) out += JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'bigint' ? String(v) : v)) + '\n'
  }
  return out
}

/** Every event row has exactly one delivery per matching active endpoint — nothing half-written. */
export async function halfWrites(db: Db, expectedDeliveries: (event: { id: string; user_id: string; type: string }) => number) {
  const events = await db.db.selectFrom('events').select(['id', 'user_id', 'type']).execute()
  const counts = await db.db
    .selectFrom('deliveries')
    .select(['event_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy('event_id')
    .execute()
  const byEvent = new Map(counts.map((c) => [c.event_id, Number(c.n)]))
  const eventIds = new Set(events.map((e) => e.id))
  const problems: string[] = []
  for (const e of events) {
    const want = expectedDeliveries(e)
    const got = byEvent.get(e.id) ?? 0
    if (got !== want) problems.push(`${e.id} (${e.type}) has ${got} deliveries, expected ${want}`)
  }
  for (const id of byEvent.keys()) if (!eventIds.has(id)) problems.push(`deliveries for missing event ${id}`)
  return { events: events.length, problems }
}

/** False when the string holds a lone surrogate (which UTF-8 cannot store). */
export const isWellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
