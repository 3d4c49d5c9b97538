// Every network call of the dashboard goes through here: the API base from config.js, the bearer
// token from this tab's session, and errors turned into {status, code, message, details}.
// Answers are typed from the server's zod schemas (server/api-types.ts), so `npm run typecheck`
// fails when a field the dashboard reads is renamed or removed on the server.
import { getToken } from './session.js'

/** @typedef {import('../../server/api-types.js').Endpoint} Endpoint */
/** @typedef {import('../../server/api-types.js').EndpointWithSecret} EndpointWithSecret */
/** @typedef {import('../../server/api-types.js').EndpointPage} EndpointPage */
/** @typedef {import('../../server/api-types.js').CreateEndpointRequest} CreateEndpointRequest */
/** @typedef {import('../../server/api-types.js').UpdateEndpointRequest} UpdateEndpointRequest */
/** @typedef {import('../../server/api-types.js').SecretReveal} SecretReveal */
/** @typedef {import('../../server/api-types.js').RotateResult} RotateResult */
/** @typedef {import('../../server/api-types.js').TestSendResult} TestSendResult */
/** @typedef {import('../../server/api-types.js').EventCatalogue} EventCatalogue */
/** @typedef {import('../../server/api-types.js').Delivery} Delivery */
/** @typedef {import('../../server/api-types.js').DeliveryDetail} DeliveryDetail */
/** @typedef {import('../../server/api-types.js').DeliveryPage} DeliveryPage */
/** @typedef {import('../../server/api-types.js').DeliveryFilters} DeliveryFilters */
/** @typedef {import('../../server/api-types.js').ReplayRequest} ReplayRequest */
/** @typedef {import('../../server/api-types.js').ReplayResult} ReplayResult */
/** @typedef {import('../../server/api-types.js').RetryResult} RetryResult */

/** @type {(error: ApiError) => void} */
let onUnauthorized = () => {}
/**
 * The app shell registers what a 401 does (show the "signed out" screen).
 * @param {(error: ApiError) => void} fn
 */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

function base() {
  // config.js sets window.QSM_CONFIG before this bundle runs.
  const config = /** @type {{ QSM_CONFIG?: { apiBase?: string } }} */ (/** @type {unknown} */ (window)).QSM_CONFIG
  const configured = (config && config.apiBase) || ''
  return configured.replace(/\/+$/, '')
}

/** @type {Record<number, string>} */
const FALLBACK = {
  404: 'This item no longer exists. It may have been deleted in another tab.',
  429: 'Too many requests in a short time. Wait a few seconds, then try again.',
  500: 'Something went wrong on the server. Try again; if it keeps happening, contact support.',
}

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached
   * @param {string} code the API's error code (server/http/errors.ts), 'network' or 'http_<status>'
   * @param {string} message
   * @param {unknown} [details] the API's field problems ({path, message}[])
   */
  constructor(status, code, message, details) {
    super(message)
    this.status = status
    this.code = code
    /** @type {{ path?: unknown, message: string }[]} */
    this.details = Array.isArray(details) ? details : []
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>} the parsed JSON; each api.* function below names its type
 */
async function request(method, path, body) {
  /** @type {Record<string, string>} */
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

/** @param {Record<string, unknown>} params */
const q = (params) => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v))
  const str = s.toString()
  return str ? `?${str}` : ''
}
const id = encodeURIComponent

export const api = {
  /** @returns {Promise<EndpointPage>} */
  listEndpoints: () => request('GET', '/v1/webhooks'),
  /** @param {string} wh @returns {Promise<Endpoint>} */
  getEndpoint: (wh) => request('GET', `/v1/webhooks/${id(wh)}`),
  /** @param {CreateEndpointRequest} body @returns {Promise<EndpointWithSecret>} */
  createEndpoint: (body) => request('POST', '/v1/webhooks', body),
  /** @param {string} wh @param {UpdateEndpointRequest} body @returns {Promise<Endpoint>} */
  updateEndpoint: (wh, body) => request('PATCH', `/v1/webhooks/${id(wh)}`, body),
  /** @param {string} wh @returns {Promise<null>} */
  deleteEndpoint: (wh) => request('DELETE', `/v1/webhooks/${id(wh)}`),
  /** @param {string} wh @returns {Promise<SecretReveal>} */
  revealSecret: (wh) => request('GET', `/v1/webhooks/${id(wh)}/secret`),
  /** @param {string} wh @returns {Promise<RotateResult>} */
  rotateSecret: (wh) => request('POST', `/v1/webhooks/${id(wh)}/rotate-secret`, {}),
  /** @param {string} wh @returns {Promise<TestSendResult>} */
  testEndpoint: (wh) => request('POST', `/v1/webhooks/${id(wh)}/test`),
  /** @returns {Promise<EventCatalogue>} */
  eventTypes: () => request('GET', '/v1/event-types'),
  /** @param {DeliveryFilters} filters @returns {Promise<DeliveryPage>} */
  listDeliveries: (filters) => request('GET', `/v1/deliveries${q(filters)}`),
  /** @param {string} dlv @returns {Promise<DeliveryDetail>} */
  getDelivery: (dlv) => request('GET', `/v1/deliveries/${id(dlv)}`),
  /** @param {string} dlv @returns {Promise<RetryResult>} */
  retryDelivery: (dlv) => request('POST', `/v1/deliveries/${id(dlv)}/retry`),
  /** @param {ReplayRequest} body @returns {Promise<ReplayResult>} */
  replayFailed: (body) => request('POST', '/v1/deliveries/replay', body),
}

/**
 * The API's field errors as {field: message}; "event_types.0" counts for "event_types".
 * @param {unknown} error
 * @returns {Record<string, string>}
 */
export function fieldErrors(error) {
  /** @type {Record<string, string>} */
  const out = {}
  if (!(error instanceof ApiError)) return out
  for (const d of error.details) {
    const path = Array.isArray(d.path) ? d.path.join('.') : String(d.path || '')
    const field = path.split('.')[0]
    if (field && !out[field]) out[field] = d.message
  }
  return out
}
