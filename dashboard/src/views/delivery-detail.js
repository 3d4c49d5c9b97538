// One delivery (#/deliveries/:id): ids to copy, the payload exactly as sent while it is kept, the
// request headers (signature included, secret never), and every attempt with the start of the
// answer. Redeliver is offered on failed deliveries only.
import { html } from 'htm/preact'
import { useRef, useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { deliveryStatus, due, ms, plural } from '../format.js'
import { CopyButton } from '../ui/copy.js'
import { ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'
import { When } from '../ui/stats.js'

const TRIGGER = { automatic: 'Automatic', manual: 'Redelivered by you', replay: 'Replay', test: 'Test' }

const headerText = (h) => Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\n')

function Attempt({ a }) {
  const answer = a.status_code ? `Answered ${a.status_code}` : 'No answer'
  return html`<li class="attempt" data-testid="attempt">
    <p><strong>Attempt ${a.attempt}</strong> · <${When} iso=${a.started_at} /> · ${TRIGGER[a.trigger] || a.trigger}</p>
    <p>${answer} in ${ms(a.duration_ms)}${a.error && a.error !== `HTTP ${a.status_code}` ? html` · <span class="err-text">${a.error}</span>` : ''}</p>
    ${a.response_excerpt !== null && html`<details><summary>Start of the answer</summary><pre class="code" data-testid="response-excerpt">${a.response_excerpt}</pre></details>`}
    ${a.request_headers && html`<details><summary>Request headers</summary><pre class="code">${headerText(a.request_headers)}</pre></details>`}
  </li>`
}

export function DeliveryDetail({ id }) {
  const { data: d, error, loading, reload, setData } = useLoad(() => api.getDelivery(id), [id])
  const [actionError, setActionError] = useState(/** @type {unknown} */ (null))
  const busy = useRef(false)
  const [working, setWorking] = useState(false)
  // After a redelivery the delivery is pending; the button stays so keyboard focus is not lost.
  const [redelivered, setRedelivered] = useState(false)
  if (!d) {
    return html`<section><${PageTitle}>Delivery<//>
      ${loading ? html`<${Loading} what="the delivery" />` : html`<${ErrorBox} error=${error} onRetry=${reload} title="This delivery could not be loaded" />`}
      <p><a href="#/deliveries">Back to deliveries</a></p></section>`
  }
  // aria-disabled instead of disabled: a disabled button drops keyboard focus to the page body.
  const redeliver = async () => {
    if (busy.current) return
    busy.current = true
    setWorking(true)
    setActionError(null)
    try {
      await api.retryDelivery(id)
      setRedelivered(true)
      announce(`Redelivery of ${d.event_type} queued. It is sent within moments.`)
      setData(await api.getDelivery(id))
    } catch (e) {
      setActionError(e)
    } finally {
      busy.current = false
      setWorking(false)
    }
  }
  const log = d.attempts_log || []
  return html`<section>
    <p class="crumb"><a href="#/deliveries">Deliveries</a></p>
    <div class="page-head">
      <${PageTitle} title=${`Delivery ${d.event_type}`}><code>${d.event_type}</code> delivery<//>
      <span class=${`badge badge-${d.status}`} data-testid="delivery-status">${deliveryStatus(d.status)}</span>
    </div>
    <dl class="facts facts-wide">
      <div><dt>Delivery id</dt><dd><code data-testid="delivery-id">${d.id}</code> <${CopyButton} text=${d.id} what="Delivery id" /></dd></div>
      <div><dt>Event id</dt><dd><code data-testid="event-id">${d.event_id}</code> <${CopyButton} text=${d.event_id} what="Event id" /></dd></div>
      <div><dt>Endpoint</dt><dd><a class="url" href=${`#/endpoints/${encodeURIComponent(d.endpoint_id)}`}>${d.endpoint_url || d.endpoint_id}</a></dd></div>
      <div><dt>Created</dt><dd><${When} iso=${d.created_at} /></dd></div>
      <div><dt>Attempts</dt><dd>${plural(d.attempts, 'attempt', 'attempts')}${d.status === 'pending' && d.next_attempt_at ? `, ${due(d.next_attempt_at)}` : ''}</dd></div>
    </dl>
    <${ErrorBox} error=${actionError} />
    ${(d.status === 'failed' || redelivered) && html`<div class="actions">
      <button type="button" class="btn btn-primary" onClick=${redeliver} aria-disabled=${working ? 'true' : undefined} aria-busy=${working ? 'true' : undefined}>
        ${working ? 'Redelivering…' : 'Redeliver'}</button>
    </div>`}
    <section class="panel" aria-labelledby="payload-h">
      <h2 id="payload-h">Payload</h2>
      ${d.payload === null
        ? html`<p class="muted" data-testid="payload-note">${d.payload_note}</p>`
        : html`<p class="muted">Exactly as signed and sent. <${CopyButton} text=${d.payload} what="Payload" /></p><pre class="code" data-testid="payload">${d.payload}</pre>`}
    </section>
    <section class="panel" aria-labelledby="headers-h">
      <h2 id="headers-h">Request headers</h2>
      ${d.request_headers
        ? html`<p class="muted">From the latest attempt; the signature is included, the secret never is. <${CopyButton} text=${headerText(d.request_headers)} what="Headers" /></p>
          <pre class="code" data-testid="request-headers">${headerText(d.request_headers)}</pre>`
        : html`<p class="muted">Nothing sent yet.</p>`}
    </section>
    <section class="panel" aria-labelledby="attempts-h">
      <h2 id="attempts-h">Attempts</h2>
      ${log.length === 0 ? html`<p class="muted">No attempts yet.</p>` : html`<ol class="attempts">${log.map((a) => html`<${Attempt} a=${a} key=${a.attempt} />`)}</ol>`}
    </section>
  </section>`
}
