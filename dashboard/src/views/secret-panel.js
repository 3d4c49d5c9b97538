// The endpoint's secret: shown once after create or rotate, revealed on request, rotated after a
// confirmation. The old secret keeps signing until previous_key_expires_at.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { fullTime } from '../format.js'
import { ConfirmButton } from '../ui/confirm.js'
import { SecretValue } from '../ui/secret.js'
import { ErrorBox } from '../ui/states.js'

/** @param {{ endpoint: import('../api.js').Endpoint, initialSecret?: string | null, onRotated: () => void }} props */
export function SecretPanel({ endpoint, initialSecret, onRotated }) {
  /** @type {{ secret: string, kind: 'new' | 'reveal' | 'rotated', until?: string | null } | null} */
  const first = initialSecret ? { secret: initialSecret, kind: 'new' } : null
  const [shown, setShown] = useState(first)
  const [error, setError] = useState(/** @type {unknown} */ (null))
  const reveal = async () => {
    setError(null)
    try {
      const r = await api.revealSecret(endpoint.id)
      setShown({ secret: r.secret, kind: 'reveal' })
    } catch (e) {
      setError(e)
    }
  }
  const rotate = async () => {
    setError(null)
    try {
      const r = await api.rotateSecret(endpoint.id)
      setShown({ secret: r.secret, kind: 'rotated', until: r.previous_key_expires_at })
      announce('Secret rotated. Copy the new secret now.')
      onRotated()
    } catch (e) {
      setError(e)
    }
  }
  return html`<section class="panel" aria-labelledby="secret-h">
    <h2 id="secret-h">Signing secret</h2>
    <p class="muted">Your receiver uses the secret to check that requests come from QSM. Keep it out of code you share.</p>
    ${shown && shown.kind === 'new' && html`<div class="box box-success" data-testid="new-secret">
      <p><strong>Endpoint added. Copy its secret now.</strong> It is shown this once; later you can reveal it here again.</p>
      <${SecretValue} secret=${shown.secret} />
    </div>`}
    ${shown && shown.kind === 'rotated' && html`<div class="box box-success" data-testid="rotated-secret">
      <p><strong>New secret made.</strong> Put it in your receiver. ${shown.until ? `The old secret keeps signing too until ${fullTime(shown.until)}.` : ''}</p>
      <${SecretValue} secret=${shown.secret} label="New signing secret" />
    </div>`}
    ${shown && shown.kind === 'reveal' && html`<${SecretValue} secret=${shown.secret} />`}
    <${ErrorBox} error=${error} title="The secret could not be changed" />
    <div class="actions">
      ${shown ? html`<button type="button" class="btn" onClick=${() => setShown(null)}>Hide secret</button>`
        : html`<button type="button" class="btn" onClick=${reveal}>Reveal secret</button>`}
      <${ConfirmButton} label="Rotate secret" confirmLabel="Make a new secret" danger=${false} onConfirm=${rotate}
        question="Make a new secret? The old one keeps signing for a grace period (24 hours unless your administrator changed it), so you have time to update your receiver." />
    </div>
  </section>`
}
