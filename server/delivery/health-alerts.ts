// Announcing an endpoint's health change, once: a compare-and-set on endpoints.alert_state decides
// which process announces (the one whose UPDATE changed the row), and in the same transaction the
// owner's e-mail is queued (alert_outbox) and the operational event is stored with its deliveries.
// Two processes seeing the same failure streak therefore raise one e-mail and one event, not two.
//
// Operational events go to the user's other active endpoints that subscribe to them ("*" included),
// never to the endpoint they are about. Their failed deliveries do not count towards the receiving
// endpoint's health (outcome.ts), so an operational event can never cause another one: no loops.
import type { Kysely } from 'kysely'
import type { Database, EndpointRow } from '../db/schema.js'
import type { Config } from '../config/schema.js'
import { newId } from '../db/ids.js'
import { enqueueDeliveries } from './enqueue.js'
import { disabledBy, type AnnouncedState } from './health-state.js'
import { composeAlert, endpointLink, kindFor, urlHost } from '../alerts/compose.js'
import { queueMail } from '../alerts/outbox.js'
import { readAlertSettings } from '../alerts/settings.js'

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString())

/** Runs `work` in a transaction: the caller's, or a new one (MySQL autocommit callers). */
function inTransaction<T>(q: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return q.isTransaction ? work(q) : q.transaction().execute(work)
}

/** True when this call made the change (and so queued the e-mail and the event). */
export async function announce(q: Kysely<Database>, endpointId: string, to: AnnouncedState, nowMs: number, config: Config, alertsOn: boolean): Promise<boolean> {
  return inTransaction(q, async (trx) => {
    let update = trx.updateTable('endpoints').set({ alert_state: to }).where('id', '=', endpointId).where('alert_state', '!=', to)
    if (to === 'disabled') update = update.where('is_active', '=', 0).where('disabled_reason', 'is not', null)
    else if (to === 'failing') update = update.where('is_active', '=', 1).where('failing_since', 'is not', null)
    else update = update.where('is_active', '=', 1).where('failing_since', 'is', null)
    const res = await update.executeTakeFirst()
    if (Number(res.numUpdatedRows) !== 1) return false
    const row = await trx.selectFrom('endpoints').selectAll().where('id', '=', endpointId).executeTakeFirstOrThrow()
    await raiseOperationalEvent(trx, row, to, nowMs, config)
    if (alertsOn) {
      const settings = await readAlertSettings(trx, row.user_id)
      if (settings.enabled && settings.email) {
        const kind = kindFor(to)
        const message = composeAlert(row, kind, { dashboardUrl: config.dashboardUrl, disableAfterMs: config.disableAfterMs })
        await queueMail(trx, { userId: row.user_id, endpointId: row.id, kind, to: settings.email, subject: message.subject, text: message.text }, nowMs)
      }
    }
    return true
  })
}

export function operationalEvent(row: EndpointRow, to: AnnouncedState, nowMs: number, config: Config) {
  const endpoint = { id: row.id, description: row.description, url_host: urlHost(row.url), dashboard_url: endpointLink(config.dashboardUrl, row.id) }
  const occurredAt = iso(nowMs)!
  const base = { id: newId('evt', nowMs), schema_version: 1 as const, occurred_at: occurredAt, user_id: row.user_id, actor: { type: 'system' as const, id: 'endpoint-health' } }
  if (to === 'failing') {
    return {
      ...base, type: 'endpoint.failing' as const,
      data: { endpoint, failing_since: iso(row.failing_since) ?? occurredAt, consecutive_failures: Math.max(1, Number(row.consecutive_failures)), last_error: row.last_failure_error },
    }
  }
  if (to === 'disabled') {
    return {
      ...base, type: 'endpoint.disabled' as const,
      data: {
        endpoint, disabled_at: iso(row.disabled_at) ?? occurredAt, disabled_by: disabledBy(row) === 'gone' ? 'gone' as const : 'failure_period' as const,
        reason: (row.disabled_reason ?? '').slice(0, 300), last_error: row.last_failure_error,
      },
    }
  }
  return { ...base, type: 'endpoint.recovered' as const, data: { endpoint, recovered_at: occurredAt, failing_since: null } }
}

async function raiseOperationalEvent(trx: Kysely<Database>, row: EndpointRow, to: AnnouncedState, nowMs: number, config: Config): Promise<void> {
  const event = operationalEvent(row, to, nowMs, config)
  // Deliveries first: when no other endpoint subscribes, the event is not stored at all.
  const counts = await enqueueDeliveries(trx, [{ id: event.id, user_id: event.user_id, type: event.type }], nowMs, { excludeEndpointId: row.id })
  if ((counts.get(event.id) ?? 0) === 0) return
  await trx.insertInto('events').values({
    id: event.id, user_id: event.user_id, type: event.type, schema_version: 1, occurred_at: nowMs, payload: JSON.stringify(event), received_at: nowMs,
  }).execute()
}
