// An endpoint's health, as plain functions of its row (no database, no clock): the API shows it,
// and the alert code decides from it which state change to announce.
//
//   healthy ──(N failed attempts in a row, or failures for T)──▶ failing
//   failing ──(QSM_DISABLE_AFTER of failures / a 410)──▶ disabled ──(user turns it on)──▶ recovering
//   failing | recovering ──(a successful delivery)──▶ healthy   (the owner hears "recovered")
//
// alert_state is what the owner was last told (healthy | failing | disabled); "recovering" is an
// active endpoint whose owner was told it broke and that has not had a success since.
import type { EndpointRow } from '../db/schema.js'
import { GONE_REASON } from './retry-policy.js'

export type HealthState = 'healthy' | 'failing' | 'disabled' | 'recovering'
export type DisabledBy = 'user' | 'gone' | 'failure_period'
export type AnnouncedState = 'healthy' | 'failing' | 'disabled'

export interface HealthPolicy {
  failingAfterFailures: number
  failingAfterMs: number
}

type HealthRow = Pick<EndpointRow,
  'is_active' | 'disabled_reason' | 'disabled_at' | 'failing_since' | 'consecutive_failures' | 'last_failure_at' | 'last_failure_error' | 'alert_state'>

export interface Health {
  state: HealthState
  /** failing: when the streak began; disabled: when it was turned off. Unix ms. */
  since: number | null
  consecutive_failures: number
  /** Start of the current failure streak, whatever the state (kept while disabled, for redelivery). */
  failing_since: number | null
  last_error: string | null
  last_failure_at: number | null
  disabled_by: DisabledBy | null
  disabled_reason: string | null
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))

/** The streak has crossed the threshold: enough failures in a row, or failures for long enough. */
export function isFailingStreak(row: HealthRow, policy: HealthPolicy): boolean {
  const since = num(row.failing_since)
  const count = Number(row.consecutive_failures ?? 0)
  if (since === null || count < 1) return false
  const last = num(row.last_failure_at) ?? since
  return count >= policy.failingAfterFailures || last - since >= policy.failingAfterMs
}

export function disabledBy(row: Pick<EndpointRow, 'is_active' | 'disabled_reason'>): DisabledBy | null {
  if (Number(row.is_active) === 1) return null
  if (!row.disabled_reason) return 'user'
  return row.disabled_reason === GONE_REASON ? 'gone' : 'failure_period'
}

export function healthOf(row: HealthRow, policy: HealthPolicy): Health {
  const base = {
    since: null, consecutive_failures: Number(row.consecutive_failures ?? 0), failing_since: num(row.failing_since), last_error: row.last_failure_error ?? null,
    last_failure_at: num(row.last_failure_at), disabled_by: null, disabled_reason: null,
  }
  const by = disabledBy(row)
  if (by) return { ...base, state: 'disabled', since: num(row.disabled_at), disabled_by: by, disabled_reason: row.disabled_reason }
  if (isFailingStreak(row, policy)) return { ...base, state: 'failing', since: num(row.failing_since) }
  if (row.alert_state !== 'healthy') return { ...base, state: 'recovering' }
  return { ...base, state: 'healthy' }
}

/**
 * The state change this row calls for, given what just happened to it, or null. A success is the
 * only way back to healthy: an endpoint turned on again has not proved anything yet.
 */
export function transitionFor(row: HealthRow, happened: 'success' | 'failure' | 'disabled', policy: HealthPolicy): AnnouncedState | null {
  const told = row.alert_state as AnnouncedState
  const active = Number(row.is_active) === 1
  if (happened === 'disabled') return !active && row.disabled_reason && told !== 'disabled' ? 'disabled' : null
  if (!active) return null
  if (happened === 'success') return told !== 'healthy' && num(row.failing_since) === null ? 'healthy' : null
  return isFailingStreak(row, policy) && told !== 'failing' ? 'failing' : null
}
