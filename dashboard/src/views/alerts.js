// Alerts: where QSM e-mails you when an endpoint starts failing, is turned off, or works again.
// The address comes with the sign-in link from QSM; one saved here wins from then on.
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import { api, fieldErrors } from '../api.js'
import { announce } from '../announce.js'
import { TextField } from '../ui/field.js'
import { ErrorBox, Loading, PageTitle } from '../ui/states.js'
import { useLoad } from '../ui/use-load.js'

export function AlertsSettings() {
  const { data, error, loading, reload, setData } = useLoad(() => api.getAlertSettings())
  return html`<section>
    <${PageTitle}>Alerts<//>
    <p class="muted lead">QSM e-mails you when an endpoint starts failing, when it turns an endpoint off, and when it works again. One e-mail per change, never one per failed delivery.</p>
    <${ErrorBox} error=${error} onRetry=${reload} title="Your alert settings could not be loaded" />
    ${loading && !data && html`<${Loading} what="your alert settings" />`}
    ${data && !data.smtp_configured && html`<div class="box box-warning" data-testid="smtp-off"><p>This QSM Webhooks server has no mail server set up (<code>QSM_SMTP_URL</code>), so it sends no e-mail yet. Your settings are kept for when it does.</p></div>`}
    ${data && html`<${AlertsForm} data=${data} setData=${setData} />`}
  </section>`
}

/**
 * The form starts from the loaded settings in the render that first shows it. Copying them in an
 * effect instead ran after the form was on screen, and could wipe out what someone had already
 * typed (seen in a browser test: a typed address replaced by the empty saved one).
 * @param {{ data: import('../api.js').AlertSettings, setData: (d: import('../api.js').AlertSettings) => void }} props
 */
function AlertsForm({ data, setData }) {
  const [email, setEmail] = useState(data.email || '')
  const [enabled, setEnabled] = useState(data.enabled)
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}))
  const [saveError, setSaveError] = useState(/** @type {unknown} */ (null))
  const [saved, setSaved] = useState(false)
  /** @param {Event} ev */
  const submit = async (ev) => {
    ev.preventDefault()
    setErrors({})
    setSaveError(null)
    setSaved(false)
    const address = email.trim()
    if (enabled && !address) return setErrors({ email: 'is required while alerts are on' })
    try {
      const updated = await api.saveAlertSettings({ email: address || null, enabled })
      setData(updated)
      setSaved(true)
      announce(updated.enabled ? `Alerts go to ${updated.email}.` : 'Alerts are off.')
    } catch (err) {
      const f = fieldErrors(err)
      if (Object.keys(f).length) setErrors(f)
      else setSaveError(err)
    }
  }
  return html`<form class="panel" onSubmit=${submit} novalidate aria-labelledby="alerts-h">
      <h2 id="alerts-h">Alert e-mails</h2>
      ${Object.keys(errors).length > 0 && html`<p class="field-error" role="alert">1 field needs attention.</p>`}
      <div class="check">
        <input type="checkbox" id="enabled" name="enabled" checked=${enabled} onChange=${(e) => setEnabled(e.currentTarget.checked)} />
        <label for="enabled">Send me alerts by e-mail</label>
      </div>
      <${TextField} name="email" label="E-mail address" type="email" autocomplete="email" value=${email} onInput=${setEmail} error=${errors.email}
        hint=${data.source === 'token' ? 'From your QSM account. Change it here to send alerts elsewhere.' : 'Where alerts go.'} />
      <button type="submit" class="btn btn-primary">Save alert settings</button>
      <${ErrorBox} error=${saveError} title="Your alert settings were not saved" />
      ${saved && html`<div class="box box-success" data-testid="alerts-saved"><p>${data.enabled ? `Saved. Alerts go to ${data.email}.` : 'Saved. Alerts are off.'}</p></div>`}
    </form>`
}
