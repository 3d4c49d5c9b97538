// The one error type the API throws. Codes are a closed set; onError turns them into
// {"error":{"code","message","details?"}} with the matching status.
import type { ZodError } from 'zod'

export const ERROR_STATUS = {
  invalid_json: 422,
  validation_failed: 422,
  limit_reached: 422,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal_error: 500,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export interface FieldProblem {
  /** Dotted path of the failing field, e.g. "url" or "events.2.data.alias.address". */
  path: string
  message: string
}

export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[] | Record<string, unknown>,
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
  get status(): number {
    return ERROR_STATUS[this.code]
  }
}

function zodProblems(error: ZodError, prefix: (string | number)[] = []): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.') || '(body)',
    message: issue.message,
  }))
}

/** A 422 naming each failing field, with the first one in the message so it reads on its own. */
export function validationError(error: ZodError, prefix: (string | number)[] = []): ApiError {
  const details = zodProblems(error, prefix)
  const first = details[0]!
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : ''
  return new ApiError('validation_failed', `${first.path}: ${first.message}${more}`, details)
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`)
