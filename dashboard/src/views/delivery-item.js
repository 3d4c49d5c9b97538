// One delivery in the log: status, event, endpoint, last answer; expands to its attempts; can be
// redelivered.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { ago, deliveryStatus, due, fullTime, ms } from '../format.js'
import { ErrorBox, Loading } from '../ui/states.js'

const TRIGGER = { scheduled: 'Scheduled', manual: 'Redelivered by you', test: 'Test' }

/** @param {{ detail: import('../api.js').DeliveryDetail }} props */
function Attempts({ detail }) {
  const log = detail.attempts_log || []
  if (log.length === 0) return html`<p class="muted">No attempts recorded${detail.status === 'pending' && detail.next_attempt_at ? ` yet (${due(detail.next_attempt_at)})` : ''}.</p>`
  return html`<ol class="attempts">
    ${log.map((a) => html`<li key=${a.attempt}>
      <strong>Attempt ${a.attempt}</strong> · <time datetime=${a.started_at}>${fullTime(a.started_at)}</time> · ${TRIGGER[a.trigger] || a.trigger}<br />
      ${a.status_code ? `Answered ${a.status_code}` : 'No answer'} in ${ms(a.duration_ms)}${a.error && a.error !== `HTTP ${a.status_code}` ? html` · <span class="err-text">${a.error}</span>` : ''}
    </li>`)}
  </ol>`
}

/** @param {{ d: import('../api.js').Delivery, name?: string, onChange: (d: import('../api.js').Delivery) => void }} props */
export function DeliveryItem({ d, name, onChange }) {
  const [open, setOpen] = useState(false)
  const [detail, setDetail] = useState(/** @type {import('../api.js').DeliveryDetail | null} */ (null))
  const [error, setError] = useState(/** @type {unknown} */ (null))
  const [busy, setBusy] = useState(false)
  const panelId = `attempts-${d.id}`
  const toggle = async () => {
    const next = !open
    setOpen(next)
    if (next) {
      setError(null)
      try {
        setDetail(await api.getDelivery(d.id))
      } catch (e) {
        setError(e)
      }
    }
  }
  const redeliver = async () => {
    setBusy(true)
    setError(null)
    try {
      const r = await api.retryDelivery(d.id)
      onChange(r.delivery)
      announce(`Redelivery of ${d.event_type} queued. It is sent within moments.`)
      if (open) setDetail(await api.getDelivery(d.id))
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return html`<li class="card delivery" data-testid="delivery" data-status=${d.status}>
    <div class="card-head">
      <span class=${`badge badge-${d.status}`}>${deliveryStatus(d.status)}</span>
      <code>${d.event_type}</code>
      <time class="muted" datetime=${d.created_at} title=${fullTime(d.created_at)}>${ago(d.created_at)}</time>
    </div>
    <p>${name && html`<strong>${name} </strong>`}<span class="url">${d.endpoint_url || d.endpoint_id}</span></p>
    <p class="muted">
      ${d.attempts === 1 ? '1 attempt' : `${d.attempts} attempts`}
      ${d.last_status_code ? ` · last answer ${d.last_status_code}` : ''}${d.last_error && d.last_error !== `HTTP ${d.last_status_code}` ? ` · ${d.last_error}` : ''}
      ${d.status === 'pending' && d.next_attempt_at ? ` · ${due(d.next_attempt_at)}` : ''}
    </p>
    <div class="actions">
      <button type="button" class="btn" aria-expanded=${open ? 'true' : 'false'} aria-controls=${panelId} onClick=${toggle}>
        ${open ? 'Hide attempts' : 'Show attempts'}</button>
      <button type="button" class="btn" onClick=${redeliver} disabled=${busy}>Redeliver</button>
    </div>
    <${ErrorBox} error=${error} />
    <div id=${panelId} hidden=${!open}>${open && (detail ? html`<${Attempts} detail=${detail} />` : !error && html`<${Loading} what="attempts" />`)}</div>
  </li>`
}
