// What every service phase does around its load: start from empty tables, wait (bounded) for the
// backlog to drain, then read the ledger. Each phase has its own ledger, so one VOID phase does not
// taint the others.
import type { RawSql } from './raw-sql.js'
import { readLedger, type Ledger } from './ledger.js'
import { sleep } from './stats.js'

const TABLES = ['delivery_attempts', 'deliveries', 'events']

export async function emptyTables(sql: RawSql): Promise<void> {
  for (const t of TABLES) await sql.query(sql.dialect === 'mysql' ? `TRUNCATE TABLE ${t}` : `DELETE FROM ${t}`)
}

export async function pendingCount(sql: RawSql): Promise<number> {
  return Number((await sql.query(`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'`))[0]?.n ?? 0)
}

/** Waits until nothing is pending, the bound passes, or nothing was delivered for `stallMs` (no
 * delivery loop running, or a stuck one: waiting longer would only stretch the run). */
export async function waitDrained(sql: RawSql, timeoutMs: number, stallMs = 5000): Promise<number> {
  const t0 = Date.now()
  let last = Infinity
  let lastChange = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    const n = await pendingCount(sql)
    if (n === 0) break
    if (n < last) {
      last = n
      lastChange = Date.now()
    } else if (Date.now() - lastChange > stallMs) break
    await sleep(200)
  }
  return Date.now() - t0
}

/** Ledger plus the receiver's duplicate count; `void` is the verdict printed in the report. */
export async function closeLedger(sql: RawSql, accepted: number, endpoints: number, received?: { count: number; unique: number }): Promise<Ledger> {
  const l = await readLedger(sql, accepted, endpoints)
  if (received) l.duplicates = received.count - received.unique
  return l
}
