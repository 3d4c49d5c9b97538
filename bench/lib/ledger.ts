// The ledger rule: accepted × endpoints = delivered + pending + failed, read from the database. A run
// whose ledger does not balance is VOID: its figures are not reported as results.
import type { RawSql } from './raw-sql.js'

export interface Ledger {
  accepted: number
  endpoints: number
  expected: number
  events: number
  delivered: number
  pending: number
  failed: number
  balanced: boolean
  /** Deliveries the receiver saw more than once (at-least-once duplicates), when known. */
  duplicates?: number
}

export async function readLedger(sql: RawSql, accepted: number, endpoints: number): Promise<Ledger> {
  const rows = await sql.query('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status')
  const by: Record<string, number> = {}
  for (const r of rows) by[String(r.status)] = Number(r.n)
  const events = Number((await sql.query('SELECT COUNT(*) AS n FROM events'))[0]?.n ?? 0)
  const delivered = by.succeeded ?? 0
  const pending = by.pending ?? 0
  const failed = by.failed ?? 0
  const expected = accepted * endpoints
  return { accepted, endpoints, expected, events, delivered, pending, failed, balanced: expected === delivered + pending + failed && events === accepted }
}

/** The same rule for BullMQ, from its job counts. */
export function bullLedger(accepted: number, endpoints: number, counts: Record<string, number>): Ledger {
  const delivered = counts.completed ?? 0
  const failed = counts.failed ?? 0
  const pending = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0)
  const expected = accepted * endpoints
  return { accepted, endpoints, expected, events: accepted, delivered, pending, failed, balanced: expected === delivered + pending + failed }
}
