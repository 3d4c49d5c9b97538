// The endpoints list: state (active, paused, disabled and why), 24 h success rate, last delivery.
import { html } from 'htm/preact'
import { api } from '../api.js'
import { endpointStatus } from '../format.js'
import { Empty, ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'
import { statsFacts } from '../ui/stats.js'

/** @param {{ e: import('../api.js').Endpoint }} props */
function EndpointCard({ e }) {
  return html`<li class="card" data-testid="endpoint-card">
    <div class="card-head">
      <a class="card-title" href=${`#/endpoints/${encodeURIComponent(e.id)}`}>${e.description || e.url}</a>
      <span class=${`badge badge-${e.status}`}>${endpointStatus(e.status)}</span>
    </div>
    ${e.description && html`<p class="url">${e.url}</p>`}
    ${e.status === 'disabled' && html`<p class="warn-text">QSM turned this endpoint off: ${e.disabled_reason || 'it kept failing'}. Open it and turn it on again once it is fixed.</p>`}
    <dl class="facts">
      <div><dt>Events</dt><dd>${e.event_types.join(', ')}</dd></div>
      ${statsFacts(e.stats)}
    </dl>
  </li>`
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
    <${ErrorBox} error=${error} onRetry=${reload} title="Your endpoints could not be loaded" />
    ${loading && !data && html`<${Loading} what="endpoints" />`}
    ${data && list.length === 0 && html`<${Empty}>
      <p>No endpoints yet. Add one to start receiving events.</p>
      <a class="btn btn-primary" href="#/endpoints/new">Add your first endpoint</a>
    <//>`}
    ${list.length > 0 && html`<ul class="cards">${list.map((e) => html`<${EndpointCard} e=${e} key=${e.id} />`)}</ul>`}
  </section>`
}
