// The sign-in token lives in this tab only (sessionStorage). It arrives once as #token=… in the
// link from QSM; takeTokenFromUrl() stores it and removes it from the address bar and history.
const KEY = 'qsm-webhooks-token'

export function getToken() {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function clearToken() {
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    /* storage blocked: nothing kept */
  }
}

export function takeTokenFromUrl() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (!match) return
  try {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]))
  } catch {
    /* storage blocked: the token still works until the tab reloads */
  }
  history.replaceState(null, '', location.pathname + location.search + '#/')
}
