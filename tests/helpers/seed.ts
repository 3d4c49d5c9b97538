// Builders that put known rows straight into the database, for tests that read or change them.
import type { Db } from '../../server/db/connect.js'
import { newId } from '../../server/db/ids.js'
import { bumpEndpoint } from '../../server/endpoints/versions.js'

let seq = 0
/** Ids that sort in creation order even within one millisecond. */
function orderedId(prefix: 'wh' | 'evt' | 'dlv', at: number): string {
  seq += 1
  return `${newId(prefix, at).slice(0, prefix.length + 11)}${String(seq).padStart(15, '0')}`
}

/** otherProcess: written as another process would, so this process's caches are not told. */
export async function seedEndpoint(db: Db, o: { userId: string; url?: string; eventTypes?: string[]; isActive?: boolean; at?: number; secretEnc?: string; otherProcess?: boolean }) {
  const at = o.at ?? Date.now()
  const id = orderedId('wh', at)
  await db.db.insertInto('endpoints').values({
    id, user_id: o.userId, url: o.url ?? 'https://example.com/hook', description: '', event_types: JSON.stringify(o.eventTypes ?? ['*']),
    is_active: o.isActive === false ? 0 : 1, disabled_reason: null, disabled_at: null, secret_enc: o.secretEnc ?? 'seeded-not-a-real-secret', secret_key_id: 'key_seed',
    previous_secret_enc: null, previous_key_id: null, previous_expires_at: null, failing_since: null, created_at: at, updated_at: at,
  }).execute()
  // An endpoint written in this process, as create.ts announces it (ingest's endpoint cache).
  if (!o.otherProcess) bumpEndpoint(id)
  return id
}

export async function seedEvent(db: Db, o: { userId: string; type?: string; at?: number; payload?: string | null }) {
  const at = o.at ?? Date.now()
  const id = orderedId('evt', at)
  const type = o.type ?? 'email.received'
  await db.db.insertInto('events').values({
    id, user_id: o.userId, type, schema_version: 1, occurred_at: at, received_at: at,
    payload: o.payload === undefined ? JSON.stringify({ id, type, user_id: o.userId }) : o.payload,
  }).execute()
  return id
}

export async function seedDelivery(db: Db, o: { userId: string; endpointId: string; eventId: string; eventType?: string; status?: string; attempts?: number; at?: number; leaseOwner?: string | null; lastStatusCode?: number | null; lastError?: string | null }) {
  const at = o.at ?? Date.now()
  const id = orderedId('dlv', at)
  const status = o.status ?? 'pending'
  await db.db.insertInto('deliveries').values({
    id, event_id: o.eventId, endpoint_id: o.endpointId, user_id: o.userId, event_type: o.eventType ?? 'email.received', status,
    attempts: o.attempts ?? 0, next_attempt_at: status === 'pending' ? at : null, lease_owner: o.leaseOwner ?? null,
    last_status_code: o.lastStatusCode ?? null, last_error: o.lastError ?? null, last_attempt_at: null, last_duration_ms: null, created_at: at, updated_at: at,
  }).execute()
  return id
}

/** One event delivered to one endpoint, in the given state. */
export async function seedPair(db: Db, o: { userId: string; endpointId: string; status?: string; type?: string; at?: number; payload?: string | null }) {
  const eventId = await seedEvent(db, { userId: o.userId, type: o.type, at: o.at, payload: o.payload })
  const deliveryId = await seedDelivery(db, { userId: o.userId, endpointId: o.endpointId, eventId, eventType: o.type, status: o.status, at: o.at })
  return { eventId, deliveryId }
}
