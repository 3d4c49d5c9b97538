// Small formatters shared by the views: times, rates, statuses, in the style guide's words.
const rtf = typeof Intl !== 'undefined' && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat('en', { numeric: 'auto' }) : null

export function ago(iso) {
  if (!iso) return 'never'
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000)
  const abs = Math.abs(s)
  if (!rtf) return new Date(iso).toLocaleString()
  if (abs < 60) return rtf.format(s, 'second')
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute')
  if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour')
  return rtf.format(Math.round(s / 86400), 'day')
}

/** When a pending delivery goes out: "due now" once its time has come. */
export const due = (iso) => (Date.parse(iso) <= Date.now() ? 'due now' : `next ${ago(iso)}`)

// "2 Dec 2026, 15:45:30": day, month name and 24-hour time read the same in every locale.
const dtf = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
export const fullTime = (iso) => (iso ? dtf.format(new Date(iso)) : '')

/** "1 delivery", "5 deliveries". */
export const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`

export function rate(r) {
  return r === null || r === undefined ? 'none finished yet' : `${Math.round(r * 100)} % succeeded`
}

export const ms = (n) => (n === null || n === undefined ? '' : n >= 1000 ? `${+(n / 1000).toFixed(1)} s` : `${n} ms`)

const DELIVERY = { succeeded: '✓ Succeeded', failed: '✕ Failed', pending: '… Pending' }
const ENDPOINT = { active: '● Active', paused: '‖ Paused', disabled: '⚠ Disabled' }
export const deliveryStatus = (s) => DELIVERY[s] || s
export const endpointStatus = (s) => ENDPOINT[s] || s

/** datetime-local value (local time, minutes) for a Date. */
export function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}
