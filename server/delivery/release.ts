// Giving leases back without counting an attempt: on shutdown (SIGTERM), and for claimed rows a
// runner did not get to in time. They are due again at once, so another process picks them up
// now instead of waiting for the lease to run out.
import type { Db } from '../db/connect.js'
import { autocommitWrites } from '../db/write-first.js'
import type { Claim } from './claim.js'

/** Gives back specific claims; each is guarded by its lease, so a row someone else holds now is left alone. */
export async function releaseClaims(db: Db, claims: readonly Pick<Claim, 'id' | 'owner' | 'leaseUntil'>[], nowMs: number, dueAt = nowMs): Promise<number> {
  let released = 0
  const groups = new Map<string, { owner: string; leaseUntil: number; ids: string[] }>()
  for (const c of claims) {
    const key = `${c.owner}|${c.leaseUntil}`
    const g = groups.get(key) ?? { owner: c.owner, leaseUntil: c.leaseUntil, ids: [] }
    g.ids.push(c.id)
    groups.set(key, g)
  }
  // On SQLite under one write lock, waited for without blocking the runner's sends in flight.
  await autocommitWrites(db, async (q) => {
    for (const g of groups.values()) {
      const res = await q
        .updateTable('deliveries')
        .set({ lease_owner: null, next_attempt_at: dueAt, updated_at: nowMs })
        .where('id', 'in', g.ids)
        .where('lease_owner', '=', g.owner)
        .where('next_attempt_at', '=', g.leaseUntil)
        .where('status', '=', 'pending')
        .executeTakeFirst()
      released += Number(res.numUpdatedRows)
    }
  })
  return released
}

/** Gives back every lease this owner still holds (a runner stopping for good). */
export async function releaseOwner(db: Db, owner: string, nowMs: number): Promise<number> {
  const res = await db.db
    .updateTable('deliveries')
    .set({ lease_owner: null, next_attempt_at: nowMs, updated_at: nowMs })
    .where('status', '=', 'pending')
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return Number(res.numUpdatedRows)
}
