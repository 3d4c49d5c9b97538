// A small "Copy" button for ids, payloads and headers; says in the live region whether it worked.
import { html } from 'htm/preact'
import { announce } from '../announce.js'

export function CopyButton({ text, what }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      announce(`${what} copied.`)
    } catch {
      announce(`Copying is blocked here. Select the ${what.toLowerCase()} and copy it yourself.`)
    }
  }
  return html`<button type="button" class="btn btn-small" onClick=${copy} aria-label=${`Copy ${what.toLowerCase()}`}>Copy</button>`
}
