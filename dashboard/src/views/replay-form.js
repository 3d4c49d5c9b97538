// "Redeliver failed since …": every failed delivery (of one endpoint or all) since a time is due again.
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
    const when = new Date(since)
    if (Number.isNaN(when.getTime())) return setErrors({ since: 'must be a date and time' })
    try {
      const r = await api.replayFailed({ endpoint_id: endpoint || undefined, since: when.toISOString() })
      const msg = r.replayed === 1 ? '1 failed delivery is due again now.' : `${r.replayed} failed deliveries are due again now.`
      const k = r.skipped || {}
      const skipped = [
        [k.endpoint_disabled, 'on a disabled endpoint (turn it on first)'], [k.endpoint_paused, 'on a paused endpoint'],
        [k.endpoint_deleted, 'on a deleted endpoint'], [k.payload_expired, 'whose event data was already deleted'], [k.test_sends, 'test sends'],
      ].filter(([n]) => Number(n) > 0).map(([n, why]) => `${n} ${why}`)
      setResult(msg + (skipped.length ? ` Skipped: ${skipped.join('; ')}.` : ''))
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
    <p class="muted">Sends every failed delivery again, of one endpoint or all of them, from the time you choose until now. Test sends are not sent again.</p>
    <div class="row">
      <${Field} name="endpoint_id" label="Endpoint" error=${errors.endpoint_id}>
        ${(a) => html`<select ...${a} value=${endpoint} onChange=${(e) => setEndpoint(e.currentTarget.value)}>
          <option value="">All endpoints</option>
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
