// Statements per delivery, from MariaDB's global status counters (Com_*). Global, so other work on
// the server adds noise; over a 30k-delivery drain the service's own statements dominate. The
// figure that matters is round trips per delivery: each one costs a network hop and, for writes,
// a share of a commit. MariaDB folds a connection's counters into the global ones reliably only
// once the connection closes, so read "after" once the measured process has exited.
import type { RawSql } from './raw-sql.js'

const KEYS = ['Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_commit', 'Com_begin', 'Com_rollback', 'Com_stmt_execute']

export async function statusCounters(sql: RawSql): Promise<Record<string, number> | null> {
  if (sql.dialect !== 'mysql') return null
  const rows = await sql.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${KEYS.map(() => '?').join(',')})`, KEYS)
  const out: Record<string, number> = {}
  for (const r of rows) out[r.Variable_name as string] = Number(r.Value)
  return out
}

/** Per-delivery deltas between two snapshots, rounded to 2 decimals. */
export function perDelivery(before: Record<string, number> | null, after: Record<string, number> | null, deliveries: number): Record<string, number> | undefined {
  if (!before || !after || deliveries <= 0) return undefined
  const out: Record<string, number> = {}
  for (const k of KEYS) out[k] = Math.round(((after[k]! - before[k]!) / deliveries) * 100) / 100
  return out
}
