// Hash routes (#/endpoints/wh_…), so the dashboard works from any folder without server rewrites.
import { useEffect, useState } from 'preact/hooks'

/** @type {[RegExp, string][]} */
const ROUTES = [
  [/^\/endpoints\/new$/, 'new'],
  [/^\/endpoints\/([^/]+)\/edit$/, 'edit'],
  [/^\/endpoints\/([^/]+)$/, 'endpoint'],
  [/^\/deliveries$/, 'deliveries'],
  [/^\/deliveries\/([^/]+)$/, 'delivery'],
]

export function parseRoute(hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?')
  for (const [re, name] of ROUTES) {
    const m = re.exec(path)
    if (m) return { name, id: m[1] ? decodeURIComponent(m[1]) : null, query: new URLSearchParams(query) }
  }
  return { name: 'endpoints', id: null, query: new URLSearchParams(query) }
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return route
}

export function go(path) {
  location.hash = `#${path}`
}

/** Puts a view's state (filters) in the address without a new history entry, so reload and shared links show the same view. */
export function setQuery(path, params) {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v))
  const str = s.toString()
  history.replaceState(null, '', `#${path}${str ? `?${str}` : ''}`)
}
