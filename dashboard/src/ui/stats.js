// The figures an endpoint card and the endpoint screen share: last 24 h and the last delivery.
import { html } from 'htm/preact'
import { ago, deliveryStatus, fullTime, plural, rate } from '../format.js'

/**
 * The two <dl> rows for an endpoint's stats (which may be missing).
 * @param {import('../api.js').Endpoint['stats'] | undefined} stats
 */
export function statsFacts(stats) {
  /** @type {Partial<import('../api.js').Endpoint['stats']>} */
  const s = stats || {}
  return html`<div><dt>Last 24 h</dt><dd>${s.deliveries_24h ? `${plural(s.deliveries_24h, 'delivery', 'deliveries')}, ${rate(s.success_rate_24h)}` : 'No deliveries'}</dd></div>
    <div><dt>Last delivery</dt><dd>${s.last_delivery_at ? html`<${When} iso=${s.last_delivery_at} />, ${deliveryStatus(s.last_delivery_status)}` : 'None yet'}</dd></div>`
}

/** An absolute time that reads the same everywhere, with the relative time beside it. */
export function When({ iso }) {
  if (!iso) return null
  return html`<time datetime=${iso}>${fullTime(iso)}</time> <span class="muted">(${ago(iso)})</span>`
}
