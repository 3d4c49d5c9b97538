// "Redeliver failed since …": every failed delivery of one endpoint since a time is due again.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api, fieldErrors } from '../api.js'
import { announce } from '../announce.js'
import { localInput } from '../format.js'
import { Field, TextField } from '../ui/field.js'
import { ErrorBox } from '../ui/states.js'

/** @param {{ endpoints: import('../api.js').Endpoint[], endpointId?: string, onDone: () => void }} props */
export function ReplayForm({ endpoints, endpointId, onDone }) {
  const [endpoint, setEndpoint] = useState(endpointId || '')
  const [since, setSince] = useState(() => localInput(new Date(Date.now() - 24 * 3600 * 1000)))
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}))
  const [error, setError] = useState(/** @type {unknown} */ (null))
  const [result, setResult] = useState(/** @type {string | null} */ (null))
  const submit = async (ev) => {
    ev.preventDefault()
    setErrors({})
    setError(null)
    setResult(null)
    if (!endpoint) return setErrors({ endpoint_id: 'is required: choose the endpoint to redeliver to' })
    const when = new Date(since)
    if (Number.isNaN(when.getTime())) return setErrors({ since: 'must be a date and time' })
    try {
      const r = await api.replayFailed({ endpoint_id: endpoint, since: when.toISOString() })
      const msg = r.replayed === 1 ? '1 failed delivery is due again now.' : `${r.replayed} failed deliveries are due again now.`
      setResult(msg + (r.skipped_expired ? ` ${r.skipped_expired} older ones could not be sent again: their event data was already deleted.` : ''))
      announce(msg)
      onDone()
    } catch (e) {
      const f = fieldErrors(e)
      if (Object.keys(f).length) setErrors(f)
      else setError(e)
    }
  }
  return html`<form class="panel" onSubmit=${submit} aria-labelledby="replay-h" novalidate>
    <h2 id="replay-h">Redeliver failed since…</h2>
    <p class="muted">Sends every failed delivery of one endpoint again, from the time you choose until now.</p>
    <div class="row">
      <${Field} name="endpoint_id" label="Endpoint" error=${errors.endpoint_id}>
        ${(a) => html`<select ...${a} value=${endpoint} onChange=${(e) => setEndpoint(e.currentTarget.value)}>
          <option value="">Choose an endpoint</option>
          ${endpoints.map((e) => html`<option value=${e.id} key=${e.id}>${e.description || e.url}</option>`)}
        </select>`}
      <//>
      <${TextField} name="since" label="Failed since" type="datetime-local" value=${since} onInput=${setSince} error=${errors.since} />
    </div>
    <button type="submit" class="btn btn-primary">Redeliver failed deliveries</button>
    <${ErrorBox} error=${error} title="Nothing was redelivered" />
    ${result && html`<div class="box box-success" data-testid="replay-result"><p>${result}</p></div>`}
  </form>`
}
