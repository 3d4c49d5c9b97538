// The loading, error and empty states from the style guide, one look everywhere.
import { html } from 'htm/preact'
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks'

export function Loading({ what }) {
  return html`<p class="muted" role="status">Loading ${what}…</p>`
}

export function ErrorBox({ error, onRetry, title = 'That did not work' }) {
  if (!error) return null
  return html`<div class="box box-danger" role="alert">
    <p><strong>${title}.</strong> ${error.message}</p>
    ${onRetry && html`<button type="button" class="btn" onClick=${onRetry}>Try again</button>`}
  </div>`
}

export function Empty({ children }) {
  return html`<div class="box empty">${children}</div>`
}

/**
 * A page heading that takes focus when the view opens, so screen readers hear the new page, and
 * names the browser tab after the screen ("Deliveries · QSM Webhooks").
 */
export function PageTitle({ children, title }) {
  const ref = useRef(/** @type {HTMLHeadingElement | null} */ (null))
  useEffect(() => {
    if (ref.current) ref.current.focus()
  }, [])
  // In the same task as the render, not after the next frame as useEffect would: the tab's name
  // never lags behind the heading (a test that read it as soon as the page showed found the
  // previous screen's name now and then).
  useLayoutEffect(() => {
    const text = title || (ref.current && (ref.current.textContent || '').trim())
    document.title = text ? `${text} · QSM Webhooks` : 'QSM Webhooks'
  })
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`
}
