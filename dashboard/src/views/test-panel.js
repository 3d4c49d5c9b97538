// "Send test event": POST /v1/webhooks/:id/test and the outcome in plain words, inline.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { announce } from '../announce.js'
import { ErrorBox } from '../ui/states.js'

const CLASS_WORDS = {
  http_error: 'Your endpoint answered with an error status.',
  timeout: 'Your endpoint did not answer in time.',
  refused: 'The connection was refused.',
  dns: 'The host name could not be found.',
  tls: 'The secure (TLS) connection failed.',
  reset: 'The connection was closed before an answer arrived.',
  blocked: 'QSM does not send to this address.',
  invalid_response: 'Your endpoint sent an answer QSM could not read.',
  error: 'The request failed.',
}

export function TestResult({ r }) {
  const summary = r.ok
    ? `Delivered. Your endpoint answered ${r.status_code} in ${r.duration_ms} ms.`
    : `Not delivered. ${r.error || CLASS_WORDS[r.error_class] || CLASS_WORDS.error}`
  return html`<div class=${`box ${r.ok ? 'box-success' : 'box-danger'}`} data-testid="test-result">
    <p><strong><span aria-hidden="true">${r.ok ? '✓ ' : '✕ '}</span>${summary}</strong></p>
    <dl class="facts">
      <div><dt>Status code</dt><dd>${r.status_code ?? 'No answer'}</dd></div>
      <div><dt>Time</dt><dd>${r.duration_ms} ms</dd></div>
      ${!r.ok && r.error_class && html`<div><dt>Kind of failure</dt><dd>${CLASS_WORDS[r.error_class] || r.error_class}</dd></div>`}
    </dl>
    ${r.hint && html`<p><strong>What to do:</strong> ${r.hint}</p>`}
    ${r.response_excerpt && html`<details><summary>Start of the answer</summary><pre>${r.response_excerpt}</pre></details>`}
    ${r.headers_sent && html`<details><summary>Headers QSM sent</summary>
      <pre>${Object.entries(r.headers_sent).map(([k, v]) => `${k}: ${v}`).join('\n')}</pre></details>`}
  </div>`
}

export function TestPanel({ id, onDone }) {
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState(/** @type {import('../api.js').TestSendResult | null} */ (null))
  const [error, setError] = useState(/** @type {unknown} */ (null))
  // aria-disabled, not disabled: a disabled button would drop keyboard focus to the page body.
  const run = async () => {
    if (busy) return
    setBusy(true)
    setError(null)
    setResult(null)
    try {
      const r = await api.testEndpoint(id)
      setResult(r)
      announce(r.ok ? `Test event delivered in ${r.duration_ms} ms.` : `Test event not delivered. ${r.error || ''}`)
      if (onDone) onDone()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return html`<section class="panel" aria-labelledby="test-h">
    <h2 id="test-h">Test</h2>
    <p class="muted">Sends a signed <code>webhook.test</code> event to this endpoint now and shows what happened.</p>
    <button type="button" class="btn btn-primary" onClick=${run} aria-disabled=${busy ? 'true' : undefined} aria-busy=${busy ? 'true' : undefined}>${busy ? 'Sending test event…' : 'Send test event'}</button>
    <${ErrorBox} error=${error} title="The test could not be sent" />
    ${result && html`<${TestResult} r=${result} />`}
  </section>`
}
