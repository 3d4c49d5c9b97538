// One endpoint: its state and facts, pause/resume, test, secret, deliveries link, edit, delete.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { ago, endpointStatus, fullTime } from '../format.js'
import { go } from '../router.js'
import { ConfirmButton } from '../ui/confirm.js'
import { ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'
import { statsFacts } from '../ui/stats.js'
import { SecretPanel } from './secret-panel.js'
import { TestPanel } from './test-panel.js'
import { takeNewSecret } from './new-secret.js'

/** Ends a reason from the API with a full stop, so the next sentence does not run on. */
const sentence = (t) => (/[.!?]$/.test(t) ? t : `${t}.`)

const TOGGLE = { active: 'Pause endpoint', paused: 'Resume endpoint', disabled: 'Turn on again' }

export function EndpointDetail({ id }) {
  const [newSecret] = useState(() => takeNewSecret(id))
  const { data: e, error, loading, reload, setData } = useLoad(() => api.getEndpoint(id), [id])
  const [actionError, setActionError] = useState(/** @type {unknown} */ (null))
  const [busy, setBusy] = useState(false)
  if (!e) {
    return html`<section><${PageTitle}>Endpoint<//>
      ${loading ? html`<${Loading} what="the endpoint" />` : html`<${ErrorBox} error=${error} onRetry=${reload} title="This endpoint could not be loaded" />`}
      <p><a href="#/">Back to endpoints</a></p></section>`
  }
  // aria-disabled, not disabled: the button keeps keyboard focus while the request runs.
  const toggle = async () => {
    if (busy) return
    setBusy(true)
    setActionError(null)
    try {
      const updated = await api.updateEndpoint(id, { is_active: e.status !== 'active' })
      setData(updated)
      announce(updated.status === 'active' ? 'Endpoint is on. QSM sends events to it again.' : 'Endpoint paused. Events that happen while it is paused are not sent to it.')
    } catch (err) {
      setActionError(err)
    } finally {
      setBusy(false)
    }
  }
  const remove = async () => {
    try {
      await api.deleteEndpoint(id)
      announce('Endpoint deleted.')
      go('/')
    } catch (err) {
      setActionError(err)
    }
  }
  return html`<section>
    <p class="crumb"><a href="#/">Endpoints</a></p>
    <div class="page-head">
      <${PageTitle}>${e.description || 'Endpoint'}<//>
      <span class=${`badge badge-${e.status}`} data-testid="endpoint-status">${endpointStatus(e.status)}</span>
    </div>
    ${e.status === 'disabled' && html`<div class="box box-warning"><p><strong>QSM turned this endpoint off${e.disabled_at ? ` ${ago(e.disabled_at)}` : ''}.</strong>
      ${' '}${sentence(e.disabled_reason || 'It kept failing')} Fix the receiver, send a test event, then turn it on again.</p></div>`}
    <dl class="facts facts-wide">
      <div><dt>URL</dt><dd class="url">${e.url}</dd></div>
      <div><dt>Event types</dt><dd>${e.event_types.map((t) => html`<code key=${t}>${t}</code> `)}</dd></div>
      ${statsFacts(e.stats)}
      <div><dt>Added</dt><dd>${fullTime(e.created_at)}</dd></div>
    </dl>
    <${ErrorBox} error=${actionError} title="That did not work" />
    <div class="actions">
      <button type="button" class="btn" onClick=${toggle} aria-disabled=${busy ? 'true' : undefined} aria-busy=${busy ? 'true' : undefined}>${TOGGLE[e.status]}</button>
      <a class="btn" href=${`#/endpoints/${encodeURIComponent(id)}/edit`}>Edit endpoint</a>
      <a class="btn" href=${`#/deliveries?endpoint_id=${encodeURIComponent(id)}`}>See deliveries</a>
    </div>
    <${SecretPanel} endpoint=${e} initialSecret=${newSecret} onRotated=${reload} />
    <${TestPanel} id=${id} onDone=${() => api.getEndpoint(id).then(setData, () => {})} />
    <section class="panel" aria-labelledby="delete-h">
      <h2 id="delete-h">Delete</h2>
      <p class="muted">Deleting stops all pending deliveries to this endpoint. Its delivery log stays until it expires.</p>
      <${ConfirmButton} label="Delete endpoint" confirmLabel="Delete this endpoint" onConfirm=${remove}
        question=${`Delete ${e.description || e.url}? This cannot be undone.`} />
    </section>
  </section>`
}
