// Giving leases back without counting an attempt: on shutdown (SIGTERM), and for claimed rows a
// runner did not get to in time. They are due again at once, so another process picks them up
// now instead of waiting for the lease to run out.
import type { Db } from '../db/connect.js'
import { autocommitWrites } from '../db/write-first.js'
import { MANUAL_MARKER, REPLAY_MARKER, type Claim } from './claim.js'

const MARKER_OF = { manual: MANUAL_MARKER, replay: REPLAY_MARKER, scheduled: null } as const

/**
 * Gives back specific claims; each is guarded by its lease, so a row someone else holds now is
 * left alone. A redelivery's or replay's claim gets its marker back, so its attempt, when it runs,
 * is still logged as manual and kept outside the automatic retry budget.
 */
export async function releaseClaims(db: Db, claims: readonly (Pick<Claim, 'id' | 'owner' | 'leaseUntil'> & Partial<Pick<Claim, 'trigger'>>)[], nowMs: number, dueAt = nowMs): Promise<number> {
  let released = 0
  const groups = new Map<string, { owner: string; leaseUntil: number; marker: string | null; ids: string[] }>()
  for (const c of claims) {
    const marker = MARKER_OF[c.trigger ?? 'scheduled']
    const key = `${c.owner}|${c.leaseUntil}|${marker}`
    const g = groups.get(key) ?? { owner: c.owner, leaseUntil: c.leaseUntil, marker, ids: [] }
    g.ids.push(c.id)
    groups.set(key, g)
  }
  // On SQLite under one write lock, waited for without blocking the runner's sends in flight.
  await autocommitWrites(db, async (q) => {
    for (const g of groups.values()) {
      const res = await q
        .updateTable('deliveries')
        .set({ lease_owner: g.marker, next_attempt_at: dueAt, updated_at: nowMs })
        .where('id', 'in', g.ids)
        .where('lease_owner', '=', g.owner)
        .where('next_attempt_at', '=', g.leaseUntil)
        .where('status', '=', 'pending')
        .executeTakeFirst()
      released += Number(res.numUpdatedRows)
    }
    // Lost to a power cut, a release is a lease that runs out instead: the rows come back later.
  }, { durable: false })
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
