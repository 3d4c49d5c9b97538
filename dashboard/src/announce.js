// The page's one polite live region. Views call announce('Endpoint saved.').
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'

/** @type {(message: string) => void} */
let listener = () => {}
export function announce(message) {
  listener(message)
}

export function LiveRegion() {
  const [message, setMessage] = useState('')
  useEffect(() => {
    // Clear first so the same message twice is read twice.
    listener = (m) => {
      setMessage('')
      setTimeout(() => setMessage(m), 50)
    }
    return () => (listener = () => {})
  }, [])
  return html`<div class="live" aria-live="polite" role="status" data-testid="live">${message}</div>`
}
