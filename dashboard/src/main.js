// Entry point: take the sign-in token from the link, then render the app.
import { render } from 'preact'
import { html } from 'htm/preact'
import { takeTokenFromUrl } from './session.js'
import { App } from './app.js'
import './app.css'

takeTokenFromUrl()
// index.html always has #app.
const root = /** @type {HTMLElement} */ (document.getElementById('app'))
// Preact renders next to existing children; drop the "Loading…" placeholder from index.html.
root.textContent = ''
render(html`<${App} />`, root)
