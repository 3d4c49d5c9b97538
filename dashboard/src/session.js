// The sign-in token lives in this tab only (sessionStorage). It arrives once as #token=… in the
// link from QSM; takeTokenFromUrl() stores it and removes it from the address bar and history.
const KEY = 'qsm-webhooks-token'
// Used when the browser blocks storage: the token then lasts until this page reloads.
let memory = null

export function getToken() {
  try {
    return sessionStorage.getItem(KEY) || memory
  } catch {
    return memory
  }
}

export function clearToken() {
  memory = null
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    /* storage blocked: nothing kept */
  }
}

export function takeTokenFromUrl() {
  const match = /[#?&]token=([^&]+)/.exec(location.hash)
  if (!match) return
  memory = decodeURIComponent(/** @type {string} the group always matches */ (match[1]))
  try {
    sessionStorage.setItem(KEY, memory)
  } catch {
    /* storage blocked: memory keeps it until the page reloads */
  }
  // Keep any route in the link (#/deliveries?…&token=…); drop only the token.
  const rest = location.hash.replace(/([#?&])token=[^&]*&?/, '$1').replace(/[?&]$/, '')
  history.replaceState(null, '', location.pathname + location.search + (rest.length > 1 ? rest : '#/'))
}
