// An endpoint's health on its page: failing (since when, how many, the last few failures and what
// to do about each), recovering, or turned off by QSM; and, right after it is turned on again, a
// one-click offer to redeliver what failed while it was down.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { ago, fullTime } from '../format.js'
import { ErrorBox } from '../ui/states.js'

/** @param {{ failures: import('../api.js').Endpoint['health']['recent_failures'] }} props */
function RecentFailures({ failures }) {
  if (!failures || failures.length === 0) return null
  return html`<h3>Last failures</h3>
    <ul class="failure-list" data-testid="recent-failures">
      ${failures.map((f) => html`<li key=${f.delivery_id + f.at}>
        <time datetime=${f.at} title=${fullTime(f.at)}>${ago(f.at)}</time> · <code>${f.event_type}</code> · <strong>${f.error || 'failed'}</strong>
        ${f.hint && html`<br /><span class="muted">${f.hint}</span>`}
      </li>`)}
    </ul>`
}

/** @param {{ e: import('../api.js').Endpoint }} props */
export function HealthPanel({ e }) {
  const hs = e.health
  if (!hs) return null
  if (hs.state === 'failing') {
    return html`<div class="box box-danger" data-testid="health-failing">
      <p><strong>This endpoint is failing.</strong> ${hs.consecutive_failures} attempts in a row have failed, the first
        ${' '}<time datetime=${hs.since} title=${fullTime(hs.since)}>${ago(hs.since)}</time>. Last error: ${hs.last_error || 'unknown'}.
        QSM keeps retrying on its schedule; if it keeps failing, QSM turns it off.</p>
      <${RecentFailures} failures=${hs.recent_failures} />
    </div>`
  }
  if (hs.state === 'recovering') {
    return html`<div class="box box-warning" data-testid="health-recovering"><p><strong>Recovering.</strong>
      QSM sends to this endpoint again and marks it healthy after its next successful delivery.</p></div>`
  }
  return null
}

/** Shown once after the user turns on an endpoint that QSM had turned off (or that was failing). */
/** @param {{ endpointId: string, since: string, onDone: () => void }} props */
export function RedeliverOffer({ endpointId, since, onDone }) {
  const [error, setError] = useState(/** @type {unknown} */ (null))
  const [result, setResult] = useState(/** @type {string | null} */ (null))
  const [busy, setBusy] = useState(false)
  const redeliver = async () => {
    setBusy(true)
    setError(null)
    try {
      const r = await api.replayFailed({ endpoint_id: endpointId, since })
      const msg = r.replayed === 1 ? '1 failed delivery is due again now.' : `${r.replayed} failed deliveries are due again now.`
      setResult(msg)
      announce(msg)
      onDone()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  if (result) return html`<div class="box box-success" data-testid="redeliver-result"><p>${result}</p></div>`
  return html`<div class="box" data-testid="redeliver-offer">
    <p><strong>Redeliver what failed while it was down?</strong> Deliveries to this endpoint that failed since ${fullTime(since)} are sent again now.</p>
    <button type="button" class="btn btn-primary" onClick=${redeliver} disabled=${busy}>Redeliver failed deliveries</button>
    <${ErrorBox} error=${error} title="Nothing was redelivered" />
  </div>`
}
