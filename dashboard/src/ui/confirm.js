// A destructive action asked twice, inline: the first button opens a short question with the real
// button and Cancel. Escape cancels. No window.confirm (it cannot be styled or announced well).
import { html } from 'htm/preact'
import { useLayoutEffect, useRef, useState } from 'preact/hooks'

export function ConfirmButton({ label, question, confirmLabel, onConfirm, danger = true }) {
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  const confirmRef = useRef(/** @type {HTMLButtonElement | null} */ (null))
  const openerRef = useRef(/** @type {HTMLButtonElement | null} */ (null))
  // Layout effect, not effect: focus must be inside the question before the next key press, or a
  // quick Escape lands on the page and the question stays open.
  useLayoutEffect(() => {
    if (open && confirmRef.current) confirmRef.current.focus()
  }, [open])
  const close = () => {
    setOpen(false)
    setTimeout(() => openerRef.current && openerRef.current.focus(), 0)
  }
  if (!open) {
    return html`<button type="button" class=${danger ? 'btn btn-danger-outline' : 'btn'} ref=${openerRef} onClick=${() => setOpen(true)}>${label}</button>`
  }
  return html`<div class="confirm" role="group" aria-label=${label} onKeyDown=${(e) => e.key === 'Escape' && close()}>
    <p>${question}</p>
    <div class="actions">
      <button type="button" class=${danger ? 'btn btn-danger' : 'btn btn-primary'} ref=${confirmRef} disabled=${busy}
        onClick=${async () => { setBusy(true); try { await onConfirm() } finally { setBusy(false); close() } }}>${confirmLabel}</button>
      <button type="button" class="btn" onClick=${close}>Cancel</button>
    </div>
  </div>`
}
