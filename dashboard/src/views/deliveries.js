// The delivery log: filters (status, endpoint, event type, event id, time range, test sends) kept
// in the address so a reload or a shared link shows the same view, newest first, "Load more" with
// next_cursor (the filters stay), and the "redeliver failed since…" form.
import { html } from 'htm/preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { plural } from '../format.js'
import { setQuery } from '../router.js'
import { Field } from '../ui/field.js'
import { Empty, ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'
import { DeliveryRow } from './delivery-item.js'
import { ReplayForm } from './replay-form.js'

const KEYS = ['status', 'endpoint_id', 'event_type', 'event_id', 'since', 'until', 'include_tests']

function Select({ name, label, value, onChange, options }) {
  return html`<${Field} name=${name} label=${label}>
    ${(a) => html`<select ...${a} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, text]) => html`<option value=${v} key=${v}>${text}</option>`)}
    </select>`}
  <//>`
}

/** Applied when the user commits the value (Enter, leaving the field), not on every key. */
function Input({ name, label, value, onChange, type = 'text', ...rest }) {
  return html`<${Field} name=${name} label=${label}>
    ${(a) => html`<input ...${a} ...${rest} type=${type} defaultValue=${value} onChange=${(e) => onChange(e.currentTarget.value.trim())} />`}
  <//>`
}

/** datetime-local (the user's local time) → ISO for the API; '' stays unset. */
const iso = (local) => {
  const t = local ? new Date(local) : null
  return t && !Number.isNaN(t.getTime()) ? t.toISOString() : undefined
}

export function Deliveries({ query }) {
  const [filters, setFilters] = useState(() => Object.fromEntries(KEYS.map((k) => [k, query.get(k) || ''])))
  const [page, setPage] = useState(/** @type {{ items: import('../api.js').Delivery[], cursor: string | null, loading: boolean, error: unknown }} */ ({ items: [], cursor: null, loading: true, error: null }))
  const endpoints = useLoad(() => api.listEndpoints())
  const types = useLoad(() => api.eventTypes())
  const busy = useRef(false)

  const load = async (cursor) => {
    if (busy.current) return
    busy.current = true
    setPage((p) => ({ ...p, loading: true, error: null }))
    try {
      const { since, until, ...rest } = filters
      const r = await api.listDeliveries({ ...rest, since: iso(since), until: iso(until), cursor, limit: 25 })
      setPage((p) => ({ items: cursor ? [...p.items, ...r.data] : r.data, cursor: r.next_cursor, loading: false, error: null }))
      if (!cursor) announce(r.data.length === 0 ? 'No deliveries match.' : `${plural(r.data.length, 'delivery', 'deliveries')}${r.next_cursor ? ' or more' : ''} shown.`)
    } catch (e) {
      setPage((p) => ({ ...p, loading: false, error: e }))
    } finally {
      busy.current = false
    }
  }
  useEffect(() => {
    setQuery('/deliveries', filters)
    load(null)
  }, KEYS.map((k) => filters[k]))

  const set = (k) => (v) => setFilters((f) => ({ ...f, [k]: v }))
  const replace = (d) => setPage((p) => ({ ...p, items: p.items.map((x) => (x.id === d.id ? d : x)) }))
  const eps = endpoints.data ? endpoints.data.data : []
  const names = Object.fromEntries(eps.filter((e) => e.description).map((e) => [e.id, e.description]))
  const typeList = types.data ? types.data.data.map((t) => t.type) : []
  return html`<section>
    <div class="page-head">
      <${PageTitle}>Deliveries<//>
      <button type="button" class="btn" onClick=${() => load(null)} aria-disabled=${page.loading ? 'true' : undefined} aria-busy=${page.loading ? 'true' : undefined}>Refresh</button>
    </div>
    <p class="muted lead">Each delivery is one event sent to one endpoint. Failed deliveries are retried on a schedule.</p>
    <form class="filters" aria-label="Filter deliveries" onSubmit=${(e) => { e.preventDefault(); load(null) }}>
      <${Select} name="status" label="Status" value=${filters.status} onChange=${set('status')}
        options=${[['', 'All statuses'], ['failed', 'Failed'], ['pending', 'Pending'], ['succeeded', 'Succeeded']]} />
      <${Select} name="endpoint" label="Endpoint" value=${filters.endpoint_id} onChange=${set('endpoint_id')}
        options=${[['', 'All endpoints'], ...eps.map((e) => [e.id, e.description || e.url])]} />
      <${Select} name="event_type" label="Event type" value=${filters.event_type} onChange=${set('event_type')}
        options=${[['', 'All event types'], ...typeList.map((t) => [t, t])]} />
      <${Input} name="event_id" label="Event id" value=${filters.event_id} onChange=${set('event_id')} placeholder="evt_…" />
      <${Input} name="from" label="From" type="datetime-local" value=${filters.since} onChange=${set('since')} />
      <${Input} name="to" label="Until" type="datetime-local" value=${filters.until} onChange=${set('until')} />
      <label class="check"><input type="checkbox" checked=${filters.include_tests !== 'true'}
        onChange=${(e) => set('include_tests')(e.currentTarget.checked ? '' : 'true')} /> Hide test sends</label>
    </form>
    <${ErrorBox} error=${page.error} onRetry=${() => load(null)} title="Deliveries could not be loaded" />
    ${page.loading && page.items.length === 0 && html`<${Loading} what="deliveries" />`}
    ${!page.loading && !page.error && page.items.length === 0 && html`<${Empty}>
      <p>No deliveries match these filters. Deliveries appear when QSM sends events to your endpoints; try “Send test event” on an endpoint.</p>
    <//>`}
    ${page.items.length > 0 && html`<table class="log" aria-label="Deliveries">
      <thead><tr><th scope="col">Status</th><th scope="col">Event</th><th scope="col">Endpoint</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${page.items.map((d) => html`<${DeliveryRow} d=${d} key=${d.id} name=${names[d.endpoint_id]} onChange=${replace} />`)}</tbody>
    </table>`}
    ${page.cursor && html`<button type="button" class="btn" aria-disabled=${page.loading ? 'true' : undefined} onClick=${() => load(page.cursor)}>
      ${page.loading ? 'Loading more deliveries…' : 'Load more'}</button>`}
    <${ReplayForm} endpoints=${eps} endpointId=${filters.endpoint_id} onDone=${() => load(null)} />
  </section>`
}
