// The single error boundary. Known errors keep their status and code; anything else is logged
// (redacted) and answered as a plain 500 that leaks nothing about internals or secrets.
import type { ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ApiError } from './errors.js'
import type { Logger } from '../log.js'

export function createOnError(log: Logger): ErrorHandler {
  return (err, c) => {
    let apiError: ApiError
    if (err instanceof ApiError) apiError = err
    else if (err instanceof HTTPException && err.status === 400 && /json/i.test(err.message)) {
      apiError = new ApiError('invalid_json', 'The request body is not valid JSON')
    } else if (err instanceof HTTPException && err.status === 413) {
      apiError = new ApiError('payload_too_large', 'The request body is too large')
    } else if (err instanceof HTTPException && err.status === 401) {
      apiError = new ApiError('unauthorized', err.message || 'Authentication required')
    } else if (isDatabaseDown(err)) {
      log.warn('database unavailable', { error: (err as Error).message })
      apiError = new ApiError('unavailable', 'The database is not reachable right now; try again shortly', undefined, { 'Retry-After': '5' })
    } else {
      log.error('unhandled error', { error: err instanceof Error ? err.stack ?? err.message : String(err), path: c.req.path })
      apiError = new ApiError('internal_error', 'Something went wrong on our side; the error was logged')
    }
    const body: Record<string, unknown> = { code: apiError.code, message: apiError.message }
    if (apiError.details) body.details = apiError.details
    return c.json({ error: body }, apiError.status as 400, apiError.headers)
  }
}

const DOWN_CODES = new Set(['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNRESET', 'ER_SERVER_SHUTDOWN', 'EPIPE', 'ER_CON_COUNT_ERROR'])

export function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: unknown; fatal?: unknown } | null
  // mysql2 marks every connection-level error fatal. When the server dies inside a transaction,
  // the rollback on the dead connection throws "Can't add new command when connection is in
  // closed state" with fatal: true and no code at all, so the code list alone misses it.
  if (e?.fatal === true) return true
  const code = e?.code
  if (typeof code !== 'string') return false
  // SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, _RECOVERY, _TIMEOUT): another
  // process holds the file; trying again shortly works.
  return DOWN_CODES.has(code) || /^SQLITE_BUSY/.test(code)
}
