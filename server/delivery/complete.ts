// Finalising attempts: one short transaction per batch of finished sends (acks are batched because
// a commit costs about the same for one row as for many). Each row is finalised only while this claim
// still owns it (lease_owner and lease end unchanged); if the lease ran out and someone else took
// the row, this result is dropped and the other runner's result counts.
import type { Insertable, Transaction } from 'kysely'
import type { Database, DeliveryAttemptsTable } from '../db/schema.js'
import { insertRows, type RowsInsert } from '../db/insert-rows.js'
import { updateRows, type RowsUpdate } from '../db/update-rows.js'
import type { Db } from '../db/connect.js'
import { isManual, type Finish } from './outcome.js'
import { writeTransaction } from '../db/write-first.js'

const ATTEMPTS: RowsInsert<Insertable<DeliveryAttemptsTable>> = {
  table: 'delivery_attempts',
  columns: ['delivery_id', 'attempt', 'started_at', 'duration_ms', 'status_code', 'error_class', 'error', 'trigger', 'request_headers', 'response_excerpt'],
  // An ack batch is at most 200: one statement on MySQL.
  mysqlRowsPerInsert: 200,
}

/**
 * Successes differ only in attempt details, so one statement writes them all, each row with its
 * own values (db/update-rows.ts), and only where the row still carries this claim: its owner and
 * lease end.
 */
const SUCCEEDED: RowsUpdate<{ row_id: string; row_owner: string; row_lease: number; row_manual: number; row_code: number | null; row_at: number; row_duration: number; row_now: number }> = {
  table: 'deliveries',
  key: 'id',
  values: ['row_id', 'row_owner', 'row_lease', 'row_manual', 'row_code', 'row_at', 'row_duration', 'row_now'],
  set: [
    "status = 'succeeded'", 'attempts = attempts + 1', 'next_attempt_at = null', 'lease_owner = null', 'last_error = null', 'resume_at = null',
    'manual_attempts = v.row_manual', 'last_status_code = v.row_code', 'last_attempt_at = v.row_at', 'last_duration_ms = v.row_duration', 'updated_at = v.row_now',
  ],
  where: 'lease_owner = v.row_owner and next_attempt_at = v.row_lease',
  // row_owner and row_now are per row although a batch mostly shares them: a value given once
  // would sit before the rows' values on SQLite (SET comes before FROM) and after them on MySQL.
  // An ack batch is at most 200: one statement on MySQL.
  mysqlRowsPerUpdate: 200,
}

/** A success with an attempt to record: written by the one SUCCEEDED statement, not row by row. */
const inSuccessBatch = (i: Finish) => i.status === 'succeeded' && i.attempt !== null

/** Manual attempts (redeliveries, replays) the row has made once this attempt is counted. */
const manualAfter = (i: Finish) => i.claim.manualAttempts + (isManual(i.trigger) ? 1 : 0)

/** A write of the batch matched fewer rows than it names: some are no longer this runner's. */
class NotAllOwned extends Error {}

/** Writes the finished attempts and returns those that were applied (still owned). */
export async function finishDeliveries(db: Db, items: readonly Finish[], nowMs: number): Promise<Finish[]> {
  if (items.length === 0) return []
  // Nearly always every row of a batch is still ours. Then the ownership check rides in the
  // UPDATEs' own WHERE and their counts say whether it held: one statement fewer per batch than
  // reading (and on MySQL locking) the rows first. Worker drain on MariaDB, alternating with the
  // build that read first, five pairs: faster in each, by 0.7-5 % (mean ~3 %); SELECTs per 30,000
  // deliveries 1,476-1,494 -> 1,277-1,314. A count that comes back short means a lease ran out and
  // another runner may hold the row: that transaction is rolled back whole, and the batch is
  // written again below, checked row by row.
  try {
    return await writeTransaction(db, (trx) => writeOwned(trx, db, items, nowMs), { durable: false })
  } catch (err) {
    if (!(err instanceof NotAllOwned)) throw err
  }
  return writeTransaction(db, async (trx) => {
    // Lock the rows (MySQL) before checking ownership, so a claimer cannot take one between the
    // check and the update; SQLite's single writer gives the same guarantee.
    const rows = await trx
      .selectFrom('deliveries')
      .select(['id', 'lease_owner', 'next_attempt_at'])
      .where('id', 'in', items.map((i) => i.claim.id))
      .$if(db.caps.skipLocked, (qb) => qb.forUpdate())
      .execute()
    const current = new Map(rows.map((r) => [r.id, r]))
    const owned = items.filter((i) => {
      const row = current.get(i.claim.id)
      return row !== undefined && row.lease_owner === i.claim.owner && Number(row.next_attempt_at) === i.claim.leaseUntil
    })
    // Locked and checked, so the writes match every row (the same checks in their WHERE agree).
    return owned.length === 0 ? [] : writeOwned(trx, db, owned, nowMs)
  }, { durable: false })
  // A result lost to a power cut leaves the row leased; it is sent again after the lease (at least once).
}

/**
 * The rows' new state and their attempts, each UPDATE only where the row still carries the claim's
 * owner and lease end; throws NotAllOwned (rolling the transaction back) when one did not.
 */
async function writeOwned(trx: Transaction<Database>, db: Db, owned: readonly Finish[], nowMs: number): Promise<Finish[]> {
  // Successes: one statement for all of them, each row checked against its own claim. One row per
  // delivery (the count is compared with the rows named, as the IN list's ids were a set before),
  // in id order, so the row locks are taken in primary-key order as that IN list took them: two
  // batches locking the same rows in opposite orders could deadlock.
  const byId = new Map<string, Finish>()
  for (const i of owned) if (inSuccessBatch(i) && !byId.has(i.claim.id)) byId.set(i.claim.id, i)
  const succeeded = [...byId.keys()].sort().map((id) => {
    const i = byId.get(id)!
    return {
      row_id: id, row_owner: i.claim.owner, row_lease: i.claim.leaseUntil,
      row_manual: manualAfter(i),
      row_code: i.attempt!.statusCode, row_at: i.attempt!.startedAt, row_duration: i.attempt!.durationMs, row_now: nowMs,
    }
  })
  if (succeeded.length > 0 && await updateRows(trx, db.caps, SUCCEEDED, succeeded) !== succeeded.length) throw new NotAllOwned()
  for (const i of owned) {
    if (inSuccessBatch(i)) continue
    const result = await trx
      .updateTable('deliveries')
      .set({
        status: i.status, next_attempt_at: i.nextAttemptAt, lease_owner: null, last_error: i.lastError, updated_at: nowMs, resume_at: null,
        ...(i.attempt
          ? { attempts: i.claim.attempts + 1, manual_attempts: manualAfter(i), last_status_code: i.attempt.statusCode, last_attempt_at: i.attempt.startedAt, last_duration_ms: i.attempt.durationMs }
          : {}),
      })
      .where('id', '=', i.claim.id)
      .where('lease_owner', '=', i.claim.owner)
      .where('next_attempt_at', '=', i.claim.leaseUntil)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) throw new NotAllOwned()
  }
  const attempts = owned.flatMap((i) =>
    i.attempt
      ? [{
          delivery_id: i.claim.id, attempt: i.claim.attempts + 1, started_at: i.attempt.startedAt, duration_ms: i.attempt.durationMs,
          status_code: i.attempt.statusCode, error_class: i.attempt.errorClass, error: i.attempt.error, trigger: i.trigger,
          request_headers: i.attempt.requestHeaders ? JSON.stringify(i.attempt.requestHeaders) : null, response_excerpt: i.attempt.responseExcerpt,
        }]
      : [],
  )
  await insertRows(trx, db.caps, ATTEMPTS, attempts)
  return [...owned]
}
