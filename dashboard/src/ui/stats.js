// The figures an endpoint card and the endpoint screen share: last 24 h and the last delivery.
import { html } from 'htm/preact'
import { ago, deliveryStatus, fullTime, rate } from '../format.js'

/**
 * The two <dl> rows for an endpoint's stats (which may be missing).
 * @param {import('../api.js').Endpoint['stats'] | undefined} stats
 */
export function statsFacts(stats) {
  /** @type {Partial<import('../api.js').Endpoint['stats']>} */
  const s = stats || {}
  return html`<div><dt>Last 24 h</dt><dd>${s.deliveries_24h ? `${s.deliveries_24h} deliveries, ${rate(s.success_rate_24h)}` : 'No deliveries'}</dd></div>
    <div><dt>Last delivery</dt><dd>${s.last_delivery_at ? html`<time datetime=${s.last_delivery_at} title=${fullTime(s.last_delivery_at)}>${ago(s.last_delivery_at)}</time>, ${deliveryStatus(s.last_delivery_status)}` : 'None yet'}</dd></div>`
}
