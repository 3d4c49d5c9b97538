// What one attempt (or a delivery that could not be attempted) does to its delivery row and its
// endpoint, as a plain value. complete.ts writes it; nothing here touches the database.
import type { Config } from '../config/schema.js'
import type { Random } from '../clock.js'
import type { Claim } from './claim.js'
import { classifyResult, nextAttemptAt } from './retry-policy.js'
import type { ErrorClass, SendResult } from './types.js'
import { isOperationalType } from '../events/types.js'

export type Trigger = 'scheduled' | 'manual' | 'test'

/** How the endpoint's health changes: a success ends a failure streak, a failure starts or extends one. */
export type EndpointEffect = 'clear' | 'streak' | 'gone' | 'none'

export interface AttemptRecord {
  startedAt: number
  durationMs: number
  statusCode: number | null
  errorClass: ErrorClass | null
  error: string | null
}

export interface Finish {
  claim: Claim
  trigger: Trigger
  /** Null when no request was made (endpoint deleted or off, payload purged): no attempt is counted. */
  attempt: AttemptRecord | null
  status: 'succeeded' | 'pending' | 'failed'
  nextAttemptAt: number | null
  lastError: string | null
  endpointEffect: EndpointEffect
}

export const ERROR_CHARS = 300
const short = (text: string | null) => (text === null ? null : text.length > ERROR_CHARS ? text.slice(0, ERROR_CHARS - 1) + '…' : text)

/** `finishedAt` is when the answer (or the failure) came: retry waits count from then. */
export function afterSend(claim: Claim, result: SendResult, startedAt: number, finishedAt: number, config: Config, random: Random, trigger: Trigger): Finish {
  const attempt: AttemptRecord = {
    startedAt, durationMs: result.durationMs, statusCode: result.statusCode, errorClass: result.errorClass, error: short(result.error),
  }
  const verdict = classifyResult(result)
  if (verdict === 'succeeded') {
    return { claim, trigger, attempt, status: 'succeeded', nextAttemptAt: null, lastError: null, endpointEffect: trigger === 'test' ? 'none' : 'clear' }
  }
  // A test send is one check the user watches, never retried and never counted against the endpoint.
  if (trigger === 'test') return { claim, trigger, attempt, status: 'failed', nextAttemptAt: null, lastError: attempt.error, endpointEffect: 'none' }
  if (verdict === 'gone') return { claim, trigger, attempt, status: 'failed', nextAttemptAt: null, lastError: attempt.error, endpointEffect: 'gone' }
  const next = nextAttemptAt(claim.attempts + 1, finishedAt, config.retryScheduleMs, config.maxAttempts, random, result.retryAfterMs)
  // A failed operational event (endpoint.failing …) does not count against its receiver: otherwise
  // it could make that endpoint fail in turn and raise operational events about itself, and so on.
  const endpointEffect = isOperationalType(claim.event_type) ? 'none' : 'streak'
  return {
    claim, trigger, attempt, status: next === null ? 'failed' : 'pending', nextAttemptAt: next, lastError: attempt.error, endpointEffect,
  }
}

/** A delivery that cannot be sent at all: failed for good, with the reason in last_error. */
export function notSent(claim: Claim, reason: string, trigger: Trigger = claim.trigger): Finish {
  return { claim, trigger, attempt: null, status: 'failed', nextAttemptAt: null, lastError: short(reason), endpointEffect: 'none' }
}
