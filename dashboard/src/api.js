// Every network call of the dashboard goes through here: the API base from config.js, the bearer
// token from this tab's session, and errors turned into {status, code, message, details}.
import { getToken } from './session.js'

let onUnauthorized = () => {}
/** The app shell registers what a 401 does (show the "signed out" screen). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

function base() {
  const configured = (window.QSM_CONFIG && window.QSM_CONFIG.apiBase) || ''
  return configured.replace(/\/+$/, '')
}

const FALLBACK = {
  404: 'This item no longer exists. It may have been deleted in another tab.',
  429: 'Too many requests in a short time. Wait a few seconds, then try again.',
  500: 'Something went wrong on the server. Try again; if it keeps happening, contact support.',
}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message)
    this.status = status
    this.code = code
    this.details = Array.isArray(details) ? details : []
  }
}

async function request(method, path, body) {
  const headers = { accept: 'application/json' }
  const token = getToken()
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res
  try {
    res = await fetch(base() + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, 'network', 'QSM Webhooks could not be reached. Check your connection, then try again.')
  }
  const text = await res.text()
  let json = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  if (res.ok) return json
  const err = (json && json.error) || {}
  const message = err.message || FALLBACK[res.status] || FALLBACK[500]
  const error = new ApiError(res.status, err.code || `http_${res.status}`, message, err.details)
  if (res.status === 401) onUnauthorized(error)
  throw error
}

const q = (params) => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v))
  const str = s.toString()
  return str ? `?${str}` : ''
}
const id = encodeURIComponent

export const api = {
  listEndpoints: () => request('GET', '/v1/webhooks'),
  getEndpoint: (wh) => request('GET', `/v1/webhooks/${id(wh)}`),
  createEndpoint: (body) => request('POST', '/v1/webhooks', body),
  updateEndpoint: (wh, body) => request('PATCH', `/v1/webhooks/${id(wh)}`, body),
  deleteEndpoint: (wh) => request('DELETE', `/v1/webhooks/${id(wh)}`),
  revealSecret: (wh) => request('GET', `/v1/webhooks/${id(wh)}/secret`),
  rotateSecret: (wh) => request('POST', `/v1/webhooks/${id(wh)}/rotate-secret`, {}),
  testEndpoint: (wh) => request('POST', `/v1/webhooks/${id(wh)}/test`),
  eventTypes: () => request('GET', '/v1/event-types'),
  listDeliveries: (filters) => request('GET', `/v1/deliveries${q(filters)}`),
  getDelivery: (dlv) => request('GET', `/v1/deliveries/${id(dlv)}`),
  retryDelivery: (dlv) => request('POST', `/v1/deliveries/${id(dlv)}/retry`),
  replayFailed: (body) => request('POST', '/v1/deliveries/replay', body),
  getAlertSettings: () => request('GET', '/v1/alert-settings'),
  saveAlertSettings: (body) => request('PUT', '/v1/alert-settings', body),
}

/** The API's field errors as {field: message}; "event_types.0" counts for "event_types". */
export function fieldErrors(error) {
  const out = {}
  for (const d of (error && error.details) || []) {
    const path = Array.isArray(d.path) ? d.path.join('.') : String(d.path || '')
    const field = path.split('.')[0]
    if (field && !out[field]) out[field] = d.message
  }
  return out
}
