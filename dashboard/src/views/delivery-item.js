// One row of the delivery log: status, event, endpoint, attempts and last answer, when; a link to
// the delivery's page and, on failed rows only, Redeliver. A table row on wide screens, a card on
// phones (app.css).
import { html } from 'htm/preact'
import { useRef, useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { ago, deliveryStatus, due, fullTime, plural } from '../format.js'
import { ErrorBox } from '../ui/states.js'

export function DeliveryRow({ d, name, onChange }) {
  const [error, setError] = useState(/** @type {unknown} */ (null))
  const [working, setWorking] = useState(false)
  // Once redelivered here the row turns pending; the button stays so keyboard focus has a home.
  const [redelivered, setRedelivered] = useState(false)
  const busy = useRef(false)
  // aria-disabled instead of disabled keeps keyboard focus on the button while the request runs.
  const redeliver = async () => {
    if (busy.current) return
    busy.current = true
    setWorking(true)
    setError(null)
    try {
      const r = await api.retryDelivery(d.id)
      setRedelivered(true)
      onChange(r.delivery)
      announce(`Redelivery of ${d.event_type} queued. It is sent within moments.`)
    } catch (e) {
      setError(e)
    } finally {
      busy.current = false
      setWorking(false)
    }
  }
  const href = `#/deliveries/${encodeURIComponent(d.id)}`
  return html`<tr class="delivery" data-testid="delivery" data-status=${d.status}>
    <td><span class=${`badge badge-${d.status}`}>${deliveryStatus(d.status)}</span></td>
    <td><a href=${href}><code>${d.event_type}</code></a></td>
    <td class="url-cell">${name && html`<strong>${name}</strong>`}<span class="url" title=${d.endpoint_url || d.endpoint_id}>${d.endpoint_url || d.endpoint_id}</span></td>
    <td class="muted">${plural(d.attempts, 'attempt', 'attempts')}${d.last_status_code ? `, last answer ${d.last_status_code}` : ''}${d.last_error && d.last_error !== `HTTP ${d.last_status_code}` ? html`<br /><span class="err-text">${d.last_error}</span>` : ''}
      ${d.status === 'pending' && d.next_attempt_at ? `, ${due(d.next_attempt_at)}` : ''}</td>
    <td><time datetime=${d.created_at} title=${fullTime(d.created_at)}>${ago(d.created_at)}</time></td>
    <td class="row-actions">
      <a class="btn btn-small" href=${href} aria-label=${`Details of ${d.event_type} delivery`}>Details</a>
      ${(d.status === 'failed' || redelivered) && html`<button type="button" class="btn btn-small" onClick=${redeliver} aria-disabled=${working ? 'true' : undefined} aria-busy=${working ? 'true' : undefined}>Redeliver</button>`}
      <${ErrorBox} error=${error} />
    </td>
  </tr>`
}
