// Create or edit an endpoint. The API's validation messages appear beside their fields; a new
// endpoint's secret is handed to the detail view, which shows it once.
import { html } from 'htm/preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError, fieldErrors } from '../api.js'
import { announce } from '../announce.js'
import { go } from '../router.js'
import { Field, TextField } from '../ui/field.js'
import { ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { EventPicker } from './event-picker.js'
import { rememberNewSecret } from './new-secret.js'

const FIELDS = ['url', 'description', 'event_types', 'rate_max', 'headers']

/** The form's two rate fields as the API's rate_limit: null when the number is left empty. */
const rateLimit = (f) => (f.rate_max.trim() === '' ? null : { per: f.rate_per, max: Number(f.rate_max) })

/**
 * "Name: value" lines → {Name: value}; an error naming the line when a line has no colon.
 * @param {string} text
 * @returns {{ headers?: Record<string, string>, error?: string }}
 */
function parseHeaders(text) {
  /** @type {Record<string, string>} */
  const out = {}
  const lines = text.split('\n').map((l) => l.trim())
  for (const [i, line] of lines.entries()) {
    if (!line) continue
    const at = line.indexOf(':')
    if (at < 1) return { error: `line ${i + 1} must look like Name: value.` }
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim()
  }
  return { headers: out }
}

export function EndpointForm({ id }) {
  const editing = Boolean(id)
  /** @type {{ url: string, description: string, event_types: string[], rate_max: string, rate_per: string }} */
  const empty = { url: '', description: '', event_types: ['*'], rate_max: '', rate_per: 'second' }
  const [form, setForm] = useState(empty)
  // Custom headers as typed; their saved values are never shown, so editing replaces the whole set.
  const [headerText, setHeaderText] = useState('')
  const [savedHeaders, setSavedHeaders] = useState(/** @type {string[]} */ ([]))
  const [loaded, setLoaded] = useState(!editing)
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}))
  const [failure, setFailure] = useState(/** @type {unknown} */ (null))
  const [busy, setBusy] = useState(false)
  const summaryRef = useRef(/** @type {HTMLElement | null} */ (null))

  useEffect(() => {
    if (!editing) return
    api.getEndpoint(id).then(
      (e) => {
        setForm({ url: e.url, description: e.description, event_types: e.event_types, rate_max: e.rate_limit ? String(e.rate_limit.max) : '', rate_per: e.rate_limit?.per ?? 'second' })
        setSavedHeaders(Object.keys(e.headers || {}))
        setLoaded(true)
      },
      (e) => setFailure(e),
    )
  }, [id])

  const set = (k) => (v) => setForm((f) => ({ ...f, [k]: v }))
  const submit = async (ev) => {
    ev.preventDefault()
    const parsed = parseHeaders(headerText)
    if (parsed.error) {
      setErrors({ headers: parsed.error })
      setTimeout(() => document.getElementById('headers')?.focus(), 0)
      return
    }
    // Empty while editing keeps the saved headers; on a new endpoint it simply means none.
    const base = { url: form.url, description: form.description, event_types: form.event_types, rate_limit: rateLimit(form) }
    const body = headerText.trim() ? { ...base, headers: parsed.headers } : base
    setBusy(true)
    setFailure(null)
    try {
      const saved = editing ? await api.updateEndpoint(id, body) : await api.createEndpoint(body)
      if ('secret' in saved) rememberNewSecret(saved.id, saved.secret)
      announce(editing ? 'Endpoint saved.' : 'Endpoint added.')
      go(`/endpoints/${encodeURIComponent(saved.id)}`)
    } catch (e) {
      const byField = fieldErrors(e)
      const rateError = byField['rate_limit.max'] ?? byField['rate_limit.per'] ?? byField.rate_limit
      if (rateError) byField.rate_max = rateError
      const details = e instanceof ApiError && Array.isArray(e.details) ? e.details : []
      const headerProblem = details.find((d) => String(d.path).startsWith('headers.'))
      if (headerProblem) byField.headers = `${String(headerProblem.path).slice(8)}: ${headerProblem.message}.`
      setErrors(byField)
      const first = FIELDS.find((f) => byField[f])
      if (!first) setFailure(e)
      setTimeout(() => (first === 'event_types' || !first ? summaryRef.current : document.getElementById(first))?.focus(), 0)
    } finally {
      setBusy(false)
    }
  }

  const count = Object.keys(errors).length
  const title = editing ? 'Edit endpoint' : 'Add endpoint'
  return html`<section>
    <${PageTitle}>${title}<//>
    <${ErrorBox} error=${failure} title=${editing ? 'The endpoint could not be saved' : 'The endpoint could not be added'} />
    ${!loaded && !failure && html`<${Loading} what="the endpoint" />`}
    ${loaded && html`<form class="form" onSubmit=${submit} novalidate>
      ${count > 0 && html`<div class="box box-danger" role="alert" tabindex="-1" ref=${summaryRef}>
        <p><strong>${count === 1 ? '1 field needs' : `${count} fields need`} attention.</strong> The messages are next to each field.</p>
      </div>`}
      <${TextField} name="url" label="URL" type="url" value=${form.url} onInput=${set('url')} error=${errors.url}
        hint="Where QSM sends events, for example https://example.com/webhooks/qsm." autocomplete="url" inputmode="url" required />
      <${TextField} name="description" label="Description (optional)" value=${form.description} onInput=${set('description')}
        error=${errors.description} hint="A name you will recognise, for example Order system." maxlength="500" />
      <${EventPicker} selected=${form.event_types} onChange=${set('event_types')} error=${errors.event_types} />
      <${Field} name="rate_max" label="Rate limit (optional)" error=${errors.rate_max}
        hint="At most this many deliveries per second or minute; leave empty for no limit. Deliveries over it wait, they are not lost.">
        ${(a) => html`<div class="inline">
          <input ...${a} type="number" min="1" step="1" inputmode="numeric" value=${form.rate_max} onInput=${(e) => set('rate_max')(e.currentTarget.value)} />
          <select aria-label="per" value=${form.rate_per} onChange=${(e) => set('rate_per')(e.currentTarget.value)}>
            <option value="second">per second</option>
            <option value="minute">per minute</option>
          </select>
        </div>`}
      <//>
      <${Field} name="headers" label="Custom headers (optional)" error=${errors.headers}
        hint=${`One per line as Name: value, for example your receiver's Authorization: Bearer … token. Values are stored encrypted and not shown again.${savedHeaders.length ? ` Saved now: ${savedHeaders.join(', ')}. Leave this empty to keep them, or enter the full list to replace them.` : ''}`}>
        ${(a) => html`<textarea ...${a} rows="3" spellcheck="false" autocomplete="off" value=${headerText} onInput=${(e) => setHeaderText(e.currentTarget.value)}></textarea>`}
      <//>
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled=${busy}>${editing ? 'Save endpoint' : 'Add endpoint'}</button>
        <a class="btn" href=${editing ? `#/endpoints/${encodeURIComponent(id)}` : '#/'}>Cancel</a>
      </div>
    </form>`}
  </section>`
}
