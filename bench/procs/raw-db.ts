// B-db: what the database itself can do with the service's tables, in raw SQL from one Node process.
//   txn1:    BEGIN; INSERT 1 event; INSERT 3 deliveries; COMMIT — `conns` concurrent (MariaDB 16, SQLite 1)
//   multi100: one transaction with 100 events and 300 deliveries in two multi-row INSERTs
//   claim:   drain a seeded backlog with claim (LIMIT 50) + ack, no HTTP
// Claim shapes: MariaDB SELECT … FOR UPDATE SKIP LOCKED then UPDATE in one txn (2 claimers);
// SQLite a single UPDATE … WHERE id IN (SELECT … LIMIT 50) RETURNING (one writer anyway).
import { childArg, send } from '../lib/proc.js'
import { openRaw, type RawSql } from '../lib/raw-sql.js'
import { FAKE_ENDPOINTS, insertEvents, seedBacklog } from '../lib/seed.js'
import { nowMs, summarize } from '../lib/stats.js'

const o = childArg<{ url: string; durationMs: number; claimBacklog: number; limit: number }>()
const isMysql = !o.url.startsWith('sqlite:')
const sql = openRaw(o.url, 16)

async function timed(conns: number, durationMs: number, body: () => Promise<number>) {
  const end = nowMs() + durationMs
  const lat: number[] = []
  let units = 0
  const t0 = nowMs()
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (nowMs() < end) {
        const t = nowMs()
        const n = await body()
        units += n
        lat.push(nowMs() - t)
      }
    }),
  )
  return { rate: Math.round((units / (nowMs() - t0)) * 1000), txnLatency: summarize(lat), conns }
}

async function claimOnce(s: RawSql, owner: string): Promise<string[]> {
  const now = Date.now()
  if (!isMysql) {
    const rows = await s.query(
      `UPDATE deliveries SET lease_owner = ?, next_attempt_at = ? WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ${o.limit}) RETURNING id`,
      [owner, now + 60_000, now],
    )
    return rows.map((r) => r.id as string)
  }
  return s.tx(async (q) => {
    const rows = await q(
      `SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ${o.limit} FOR UPDATE SKIP LOCKED`,
      [now],
    )
    const ids = rows.map((r) => r.id as string)
    if (ids.length) await q(`UPDATE deliveries SET lease_owner = ?, next_attempt_at = ? WHERE id IN (?)`, [owner, now + 60_000, ids])
    return ids
  })
}

async function claimDrain() {
  const seeded = await seedBacklog(sql, o.claimBacklog, FAKE_ENDPOINTS)
  const t0 = nowMs()
  let acked = 0
  const claimers = isMysql ? 2 : 1
  await Promise.all(
    Array.from({ length: claimers }, async (_, i) => {
      for (;;) {
        const ids = await claimOnce(sql, `raw-${i}`)
        if (ids.length === 0) return
        const ph = isMysql ? '?' : ids.map(() => '?').join(',')
        await sql.query(
          `UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, lease_owner = NULL, next_attempt_at = NULL, updated_at = ? WHERE id IN (${ph})`,
          isMysql ? [Date.now(), ids] : [Date.now(), ...ids],
        )
        acked += ids.length
      }
    }),
  )
  return { seeded, acked, claimers, limit: o.limit, rate: Math.round((acked / (nowMs() - t0)) * 1000) }
}

const txnConns = isMysql ? 16 : 1
const txn1 = await timed(txnConns, o.durationMs, () => sql.tx((q) => insertEvents(q, 1, FAKE_ENDPOINTS)).then(() => 1))
const multi100 = await timed(isMysql ? 4 : 1, o.durationMs, () => sql.tx((q) => insertEvents(q, 100, FAKE_ENDPOINTS)).then(() => 100))
// Start the claim test from an empty queue so it drains exactly the backlog it seeded.
await sql.query(`UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE status = 'pending'`)
const claim = await claimDrain()
send({ done: true, txn1, multi100, claim })
await sql.close()
process.exit(0)
