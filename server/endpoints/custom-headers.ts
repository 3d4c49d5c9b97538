// Custom request headers per endpoint (a receiver's own auth token, a routing key). Names are
// checked against RFC 7230's token grammar and a list of names we own or that HTTP itself owns;
// values are sealed like signing secrets (server/crypto/secrets.ts) because they usually are
// credentials, and every API answer and delivery log shows them masked.
import { z } from '@hono/zod-openapi'
import { decryptSecret, encryptSecret } from '../crypto/secrets.js'

export const MAX_CUSTOM_HEADERS = 10
/** Names and values together, in UTF-8 bytes. */
export const MAX_CUSTOM_HEADER_BYTES = 2048
export const MASK = '••••••'

// RFC 7230 §3.2.6 token: visible ASCII except delimiters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Field content: visible characters, spaces and tabs; never CR, LF or NUL (header injection).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/
/** Hop-by-hop and framing headers HTTP owns, plus the headers every delivery sets itself. */
const RESERVED_EXACT = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'user-agent'])
const RESERVED_PREFIXES = ['content-', 'webhook-', 'x-qsm-', 'proxy-']

/** Null when `name` may be used as a custom header; otherwise why not. */
export function headerNameProblem(name: string): string | null {
  if (!TOKEN.test(name)) return 'is not a valid header name (letters, digits and !#$%&\'*+-.^_`|~ only, no spaces or colons)'
  const lower = name.toLowerCase()
  if (RESERVED_EXACT.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p))) {
    return 'is reserved: Host, Content-*, Webhook-*, X-QSM-*, Proxy-*, User-Agent and hop-by-hop headers are set by the delivery itself'
  }
  return null
}

export const CustomHeadersInput = z
  .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of header names to values, e.g. {"Authorization": "Bearer …"}' })
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers)
    if (names.length > MAX_CUSTOM_HEADERS) ctx.addIssue({ code: 'custom', message: `must hold at most ${MAX_CUSTOM_HEADERS} headers (it has ${names.length})` })
    const seen = new Set<string>()
    let bytes = 0
    for (const name of names) {
      const value = headers[name]!
      const problem = headerNameProblem(name)
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem })
      if (seen.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice (header names ignore case)' })
      seen.add(name.toLowerCase())
      if (!FIELD_VALUE.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must not contain line breaks or control characters' })
      if (value.trim() === '') ctx.addIssue({ code: 'custom', path: [name], message: 'must not be empty' })
      bytes += Buffer.byteLength(name) + Buffer.byteLength(value)
    }
    if (bytes > MAX_CUSTOM_HEADER_BYTES) ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_CUSTOM_HEADER_BYTES} bytes in all, names and values together (it is ${bytes})` })
  })
  .openapi({
    description: `Extra request headers sent with every delivery and test: at most ${MAX_CUSTOM_HEADERS}, ${MAX_CUSTOM_HEADER_BYTES} bytes in all. ` +
      'Values are stored encrypted and shown masked. On PATCH the object replaces the whole set ({} removes them all).',
    example: { Authorization: 'Bearer receiver-token' },
  })

interface Sealed {
  name: string
  value_enc: string
}

/** The column value: names in the clear (shown in answers), each value sealed. Null when there are none. */
export function sealHeaders(headers: Record<string, string>, appKey: string): string | null {
  const sealed: Sealed[] = Object.entries(headers).map(([name, value]) => ({ name, value_enc: encryptSecret(value, appKey) }))
  return sealed.length === 0 ? null : JSON.stringify(sealed)
}

function parse(column: string | null): Sealed[] {
  return column ? (JSON.parse(column) as Sealed[]) : []
}

/** Names with masked values, for API answers and the delivery log. */
export function maskedHeaders(column: string | null): Record<string, string> {
  return Object.fromEntries(parse(column).map((h) => [h.name, MASK]))
}

/** The plain headers, for sending. Throws SecretDecryptError when QSM_APP_KEY changed. */
export function openHeaders(column: string | null, appKey: string): Record<string, string> {
  return Object.fromEntries(parse(column).map((h) => [h.name, decryptSecret(h.value_enc, appKey)]))
}

/** The headers to send and the copy for the log: custom values masked, ours (signatures included) as sent. */
export function withCustomHeaders(signed: Record<string, string>, custom: Record<string, string>): { send: Record<string, string>; logged: Record<string, string> } {
  // Reserved names are refused on input, so a custom header can never replace a signed one.
  return {
    send: { ...custom, ...signed },
    logged: { ...Object.fromEntries(Object.keys(custom).map((n) => [n, MASK])), ...signed },
  }
}
