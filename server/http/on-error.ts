// The single error boundary. Known errors keep their status and code; anything else is logged
// (redacted) and answered as a plain 500 that leaks nothing about internals or secrets.
import type { ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ApiError } from './errors.js'
import type { Logger } from '../log.js'
import { isDatabaseDown } from '../db/down.js'

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
