// Turns whatever undici, node:net, node:tls or the address policy threw into an ErrorClass and a
// short sentence a user can act on. Never includes the request body, headers or secrets.
import { BlockedTargetError, DnsLookupError } from '../net/address-policy.js'
import type { ErrorClass } from './types.js'

export interface Described {
  errorClass: ErrorClass
  error: string
}

export interface Target {
  host: string
  /** host:port actually connected to, e.g. 203.0.113.5:443. */
  where: string
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
  'CERT_REVOKED', 'EPROTO',
])

/** The innermost useful error: undici and AggregateError (happy eyeballs) wrap the real cause. */
function rootOf(err: unknown): { code: string; message: string; name: string } {
  let e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; errors?: unknown[] } | null
  for (let i = 0; i < 5 && e; i++) {
    if (Array.isArray(e.errors) && e.errors.length > 0 && !e.code) { e = e.errors[0] as typeof e; continue }
    if (!e.code && e.cause) { e = e.cause as typeof e; continue }
    break
  }
  return { code: String(e?.code ?? ''), message: String(e?.message ?? err), name: String(e?.name ?? '') }
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`.replace('.0 s', ' s')

export function describeSendError(err: unknown, target: Target, timeoutMs: number): Described {
  if (err instanceof BlockedTargetError) return { errorClass: 'blocked', error: `blocked: ${err.message}` }
  if (err instanceof DnsLookupError) return { errorClass: 'dns', error: `could not resolve host ${target.host}: ${err.message}` }
  const { code, message, name } = rootOf(err)
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return { errorClass: 'timeout', error: `no response within ${seconds(timeoutMs)}` }
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { errorClass: 'timeout', error: `could not connect to ${target.where} within ${seconds(timeoutMs)} — is a firewall dropping the port?` }
  }
  if (code === 'ECONNREFUSED') {
    return { errorClass: 'refused', error: `connection refused by ${target.where} — is the server running and the port open in its firewall?` }
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return { errorClass: 'refused', error: `could not reach ${target.where} (${code === 'ENETUNREACH' ? 'network unreachable' : 'host unreachable'})` }
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { errorClass: 'dns', error: `could not resolve host ${target.host}` }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    return { errorClass: 'reset', error: `the connection to ${target.where} was closed before a complete answer` }
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || /certificate|ssl|tls/i.test(message)) {
    return { errorClass: 'tls', error: `TLS problem with ${target.host}: ${code || message}`.slice(0, 300) }
  }
  if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return { errorClass: 'invalid_response', error: `the answer from ${target.where} was not valid HTTP` }
  }
  return { errorClass: 'error', error: `request failed: ${code ? code + ' ' : ''}${message}`.slice(0, 300) }
}
