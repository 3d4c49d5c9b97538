// Event type picker from GET /v1/event-types: "*", one "group.*" per group, then each type with
// its description and example payload. Types covered by a chosen wildcard show as checked.
import { html } from 'htm/preact'
import { api } from '../api.js'
import { ErrorBox, Loading } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'

function Check({ value, label, selected, onToggle, coveredBy, quiet, children }) {
  const id = `evt-${value.replace(/[^a-z0-9]/gi, '-')}`
  const covered = Boolean(coveredBy)
  return html`<li class="check">
    <input type="checkbox" id=${id} name="event_types" value=${value} checked=${covered || selected.includes(value)}
      disabled=${covered} onChange=${() => onToggle(value)} aria-describedby=${`${id}-d`} />
    <label for=${id}><code>${value}</code> ${label}</label>
    <div class="check-more" id=${`${id}-d`}>${covered && !quiet ? `Included by ${coveredBy}.` : ''}${children}</div>
  </li>`
}

export function EventPicker({ selected, onChange, error }) {
  const { data, error: loadError, reload } = useLoad(() => api.eventTypes())
  const toggle = (v) => onChange(selected.includes(v) ? selected.filter((s) => s !== v) : [...selected, v])
  const types = data ? data.data.filter((t) => t.type !== 'webhook.test') : []
  const groups = [...new Set(types.map((t) => t.type.split('.')[0]))]
  const all = selected.includes('*') ? '*' : null
  const known = new Set(['*', ...groups.map((g) => `${g}.*`), ...types.map((t) => t.type)])
  const extra = selected.filter((s) => !known.has(s))
  return html`<fieldset class=${`events${error ? ' field-invalid' : ''}`} aria-describedby=${error ? 'event_types-error' : undefined}>
    <legend>Event types</legend>
    <p class="hint">Choose what QSM sends to this endpoint. A test event is always allowed.</p>
    ${error && html`<p class="field-error" id="event_types-error" data-testid="error-event_types"><span aria-hidden="true">✕ </span>Event types ${error}</p>`}
    <${ErrorBox} error=${loadError} onRetry=${reload} title="The list of event types could not be loaded" />
    ${!data && !loadError && html`<${Loading} what="event types" />`}
    ${data && html`<ul class="checks">
      <${Check} value="*" label="All event types, including new ones" selected=${selected} onToggle=${toggle} />
      ${extra.map((v) => html`<${Check} value=${v} label="(pattern)" selected=${selected} onToggle=${toggle} key=${v} />`)}
      ${groups.map((g) => html`<li key=${g} class="group"><ul class="checks">
        <${Check} value=${`${g}.*`} label=${`All ${g} events`} selected=${selected} onToggle=${toggle} coveredBy=${all} />
        ${types.filter((t) => t.type.startsWith(`${g}.`)).map((t) => html`<${Check} key=${t.type} value=${t.type} label="" selected=${selected} onToggle=${toggle}
            coveredBy=${all || (selected.includes(`${g}.*`) ? `${g}.*` : null)} quiet=${Boolean(all)}>
          <p class="hint">${t.description}</p>
          <details><summary>Example payload</summary><pre>${JSON.stringify(t.example, null, 2)}</pre></details>
        <//>`)}
      </ul></li>`)}
    </ul>`}
  </fieldset>`
}
