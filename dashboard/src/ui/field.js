// A labelled form field with its hint and the API's error beside it (aria-describedby).
import { html } from 'htm/preact'

export function Field({ name, label, hint, error, children }) {
  const hintId = hint ? `${name}-hint` : null
  const errorId = error ? `${name}-error` : null
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined
  return html`<div class=${`field${error ? ' field-invalid' : ''}`}>
    <label for=${name}>${label}</label>
    ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    ${children({ id: name, name, 'aria-describedby': describedBy, 'aria-invalid': error ? 'true' : undefined })}
    ${error && html`<p class="field-error" id=${errorId} data-testid=${`error-${name}`}><span aria-hidden="true">✕ </span>${label} ${error}</p>`}
  </div>`
}

export function TextField({ name, label, hint, error, value, onInput, type = 'text', ...rest }) {
  return html`<${Field} name=${name} label=${label} hint=${hint} error=${error}>
    ${(a) => html`<input ...${a} ...${rest} type=${type} value=${value} onInput=${(e) => onInput(e.currentTarget.value)} />`}
  <//>`
}
