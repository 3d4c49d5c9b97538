// The delivery log: filters (status, endpoint, event type), newest first, "Load more" with
// next_cursor, and the "redeliver failed since…" form.
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { Field } from '../ui/field.js'
import { Empty, ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'
import { DeliveryItem } from './delivery-item.js'
import { ReplayForm } from './replay-form.js'

function Select({ name, label, value, onChange, options }) {
  return html`<${Field} name=${name} label=${label}>
    ${(a) => html`<select ...${a} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, text]) => html`<option value=${v} key=${v}>${text}</option>`)}
    </select>`}
  <//>`
}

export function Deliveries({ query }) {
  const [filters, setFilters] = useState({ status: query.get('status') || '', endpoint_id: query.get('endpoint_id') || '', event_type: query.get('event_type') || '' })
  /** @type {{ items: import('../api.js').Delivery[], cursor: string | null, loading: boolean, error: unknown }} */
  const firstPage = { items: [], cursor: null, loading: true, error: null }
  const [page, setPage] = useState(firstPage)
  const endpoints = useLoad(() => api.listEndpoints())
  const types = useLoad(() => api.eventTypes())

  const load = async (cursor) => {
    setPage((p) => ({ ...p, loading: true, error: null }))
    try {
      const r = await api.listDeliveries({ ...filters, cursor, limit: 25 })
      setPage((p) => ({ items: cursor ? [...p.items, ...r.data] : r.data, cursor: r.next_cursor, loading: false, error: null }))
      if (!cursor) announce(r.data.length === 0 ? 'No deliveries match.' : `${r.data.length}${r.next_cursor ? ' or more' : ''} deliveries shown.`)
    } catch (e) {
      setPage((p) => ({ ...p, loading: false, error: e }))
    }
  }
  useEffect(() => {
    load(null)
  }, [filters.status, filters.endpoint_id, filters.event_type])

  const set = (k) => (v) => setFilters((f) => ({ ...f, [k]: v }))
  const replace = (d) => setPage((p) => ({ ...p, items: p.items.map((x) => (x.id === d.id ? d : x)) }))
  const eps = endpoints.data ? endpoints.data.data : []
  const names = Object.fromEntries(eps.filter((e) => e.description).map((e) => [e.id, e.description]))
  const typeList = types.data ? types.data.data.map((t) => t.type) : []
  return html`<section>
    <div class="page-head">
      <${PageTitle}>Deliveries<//>
      <button type="button" class="btn" onClick=${() => load(null)} disabled=${page.loading}>Refresh</button>
    </div>
    <p class="muted lead">Each delivery is one event sent to one endpoint. Failed deliveries are retried on a schedule.</p>
    <form class="filters" aria-label="Filter deliveries" onSubmit=${(e) => { e.preventDefault(); load(null) }}>
      <${Select} name="status" label="Status" value=${filters.status} onChange=${set('status')}
        options=${[['', 'All statuses'], ['failed', 'Failed'], ['pending', 'Pending'], ['succeeded', 'Succeeded']]} />
      <${Select} name="endpoint" label="Endpoint" value=${filters.endpoint_id} onChange=${set('endpoint_id')}
        options=${[['', 'All endpoints'], ...eps.map((e) => [e.id, e.description || e.url])]} />
      <${Select} name="event_type" label="Event type" value=${filters.event_type} onChange=${set('event_type')}
        options=${[['', 'All event types'], ...typeList.map((t) => [t, t])]} />
    </form>
    <${ErrorBox} error=${page.error} onRetry=${() => load(null)} title="Deliveries could not be loaded" />
    ${page.loading && page.items.length === 0 && html`<${Loading} what="deliveries" />`}
    ${!page.loading && !page.error && page.items.length === 0 && html`<${Empty}>
      <p>No deliveries match these filters. Deliveries appear when QSM sends events to your endpoints; try “Send test event” on an endpoint.</p>
    <//>`}
    ${page.items.length > 0 && html`<ul class="cards" aria-label="Deliveries">${page.items.map((d) => html`<${DeliveryItem} d=${d} key=${d.id} name=${names[d.endpoint_id]} onChange=${replace} />`)}</ul>`}
    ${page.cursor && html`<button type="button" class="btn" disabled=${page.loading} onClick=${() => load(page.cursor)}>
      ${page.loading ? 'Loading more deliveries…' : 'Load more'}</button>`}
    <${ReplayForm} endpoints=${eps} endpointId=${filters.endpoint_id} onDone=${() => load(null)} />
  </section>`
}
