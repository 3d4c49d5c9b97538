// The app shell: header and navigation, the live region, the signed-out screen, and the view for
// the current hash route.
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import { setUnauthorizedHandler } from './api.js'
import { clearToken, getToken } from './session.js'
import { useRoute } from './router.js'
import { LiveRegion } from './announce.js'
import { SignedOut } from './views/signed-out.js'
import { EndpointsList } from './views/endpoints.js'
import { EndpointForm } from './views/endpoint-form.js'
import { EndpointDetail } from './views/endpoint-detail.js'
import { Deliveries } from './views/deliveries.js'
import { DeliveryDetail } from './views/delivery-detail.js'

function View({ route }) {
  switch (route.name) {
    case 'new':
      return html`<${EndpointForm} />`
    case 'edit':
      return html`<${EndpointForm} id=${route.id} key=${`edit-${route.id}`} />`
    case 'endpoint':
      return html`<${EndpointDetail} id=${route.id} key=${route.id} />`
    case 'deliveries':
      return html`<${Deliveries} query=${route.query} />`
    case 'delivery':
      return html`<${DeliveryDetail} id=${route.id} key=${route.id} />`
    default:
      return html`<${EndpointsList} />`
  }
}

export function App() {
  const route = useRoute()
  const [signedOut, setSignedOut] = useState(() => (getToken() ? null : 'missing'))
  useEffect(() => {
    setUnauthorizedHandler(() => {
      clearToken()
      setSignedOut('expired')
    })
  }, [])
  const section = route.name === 'deliveries' || route.name === 'delivery' ? 'deliveries' : 'endpoints'
  const nav = (name, href, label) =>
    html`<a href=${href} aria-current=${section === name ? 'page' : undefined}>${label}</a>`
  return html`<div class="layout">
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main')?.focus() }}>Skip to content</a>
    <header class="top">
      <p class="brand">QSM Webhooks</p>
      ${!signedOut && html`<nav aria-label="Main">${nav('endpoints', '#/', 'Endpoints')}${nav('deliveries', '#/deliveries', 'Deliveries')}</nav>`}
    </header>
    <main id="main" tabindex="-1" class="page">
      ${signedOut ? html`<${SignedOut} reason=${signedOut} />` : html`<${View} route=${route} key=${route.name} />`}
    </main>
    <${LiveRegion} />
  </div>`
}
