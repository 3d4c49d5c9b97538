// The endpoints list: state (active, paused, disabled and why), 24 h success rate, last delivery.
import { html } from 'htm/preact'
import { api } from '../api.js'
import { ago, healthBadge, needsAttention } from '../format.js'
import { Empty, ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'
import { statsFacts } from '../ui/stats.js'

/** @param {import('../api.js').Endpoint} e */
const label = (e) => e.description || e.url

/** @param {{ e: import('../api.js').Endpoint }} props */
function EndpointCard({ e }) {
  const badge = healthBadge(e)
  const hs = e.health
  return html`<li class="card" data-testid="endpoint-card">
    <div class="card-head">
      <a class="card-title" href=${`#/endpoints/${encodeURIComponent(e.id)}`}>${label(e)}</a>
      <span class=${`badge badge-${badge.cls}`} data-testid="endpoint-badge">${badge.label}</span>
    </div>
    ${e.description && html`<p class="url">${e.url}</p>`}
    ${hs && hs.state === 'failing' && html`<p class="warn-text">Started failing ${ago(hs.since)}: ${hs.consecutive_failures} failed attempts in a row. Last error: ${hs.last_error || 'unknown'}.</p>`}
    ${e.status === 'disabled' && html`<p class="warn-text">QSM turned this endpoint off: ${e.disabled_reason || 'it kept failing'}. Open it and turn it on again once it is fixed.</p>`}
    <dl class="facts">
      <div><dt>Events</dt><dd>${e.event_types.join(', ')}</dd></div>
      ${statsFacts(e.stats)}
    </dl>
  </li>`
}

/** Above the list when any endpoint fails or was turned off by QSM, naming them. */
function HealthBanner({ list }) {
  const failing = list.filter((e) => e.health && e.health.state === 'failing')
  const disabled = list.filter((e) => needsAttention(e) && e.health.state === 'disabled')
  if (failing.length === 0 && disabled.length === 0) return null
  const names = (l) => l.map(label).join(', ')
  return html`<div class="box box-warning" role="status" data-testid="health-banner">
    ${failing.length > 0 && html`<p><strong>${failing.length === 1 ? '1 endpoint is failing' : `${failing.length} endpoints are failing`}:</strong> ${names(failing)}.
      QSM keeps retrying; open it to see the last errors and what to do.</p>`}
    ${disabled.length > 0 && html`<p><strong>${disabled.length === 1 ? 'QSM turned 1 endpoint off' : `QSM turned ${disabled.length} endpoints off`}:</strong> ${names(disabled)}.
      Fix the receiver, then turn it on again.</p>`}
  </div>`
}

export function EndpointsList() {
  const { data, error, loading, reload } = useLoad(() => api.listEndpoints())
  const list = data ? data.data : []
  return html`<section>
    <div class="page-head">
      <${PageTitle}>Endpoints<//>
      <a class="btn btn-primary" href="#/endpoints/new">Add endpoint</a>
    </div>
    <p class="muted lead">QSM sends events to these URLs, signed with each endpoint's secret.</p>
    <${HealthBanner} list=${list} />
    <${ErrorBox} error=${error} onRetry=${reload} title="Your endpoints could not be loaded" />
    ${loading && !data && html`<${Loading} what="endpoints" />`}
    ${data && list.length === 0 && html`<${Empty}>
      <p>No endpoints yet. Add one to start receiving events.</p>
      <a class="btn btn-primary" href="#/endpoints/new">Add your first endpoint</a>
    <//>`}
    ${list.length > 0 && html`<ul class="cards">${list.map((e) => html`<${EndpointCard} e=${e} key=${e.id} />`)}</ul>`}
  </section>`
}
