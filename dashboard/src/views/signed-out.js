// Shown with no token in this tab, or when the API answered 401 (the one-hour link expired).
import { html } from 'htm/preact'
import { PageTitle } from '../ui/states.js'

export function SignedOut({ reason }) {
  const expired = reason === 'expired'
  return html`<section class="signed-out" data-testid="signed-out">
    <${PageTitle}>${expired ? 'Your sign-in link has expired' : 'You are not signed in'}<//>
    <p>
      ${expired
        ? 'Sign-in links from QSM work for one hour, for this browser tab only. This one has run out, so QSM Webhooks cannot show your endpoints.'
        : 'The dashboard opens from a personal sign-in link, and this tab does not have one.'}
    </p>
    <h2>To open the dashboard again</h2>
    <ol>
      <li>Go back to your QSM account.</li>
      <li>Follow the <strong>Webhooks</strong> link there. QSM makes a fresh sign-in link each time.</li>
      <li>Use the dashboard in that tab. Closing the tab signs you out.</li>
    </ol>
    <p class="muted">Running QSM Webhooks yourself? An administrator can make a link with <code>npx qsm-webhooks token USER_ID</code>.</p>
  </section>`
}
