// A secret on screen: monospace, wrapping, with a copy button that says whether copying worked.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { announce } from '../announce.js'

export function SecretValue({ secret, label = 'Signing secret' }) {
  const [copied, setCopied] = useState('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret)
      setCopied('Copied.')
      announce('Secret copied to the clipboard.')
    } catch {
      setCopied('Copying is blocked here. Select the secret and copy it yourself.')
    }
  }
  return html`<div class="secret">
    <p class="secret-label">${label}</p>
    <code class="secret-value" data-testid="secret-value">${secret}</code>
    <div class="actions">
      <button type="button" class="btn" onClick=${copy}>Copy secret</button>
      <span class="muted">${copied}</span>
    </div>
  </div>`
}
