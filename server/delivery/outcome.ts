// What one attempt (or a delivery that could not be attempted) does to its delivery row and its
// endpoint, as a plain value. complete.ts writes it; nothing here touches the database.
import type { Config } from '../config/schema.js'
import type { Random } from '../clock.js'
import type { Claim } from './claim.js'
import { classifyResult, nextAttemptAt } from './retry-policy.js'
import type { ErrorClass, SendResult } from './types.js'

export type Trigger = 'scheduled' | 'manual' | 'replay' | 'test'

/** The event type of a test send: never retried, whoever sends it again. */
export const TEST_EVENT_TYPE = 'webhook.test'

/** How the endpoint's health changes: a success ends a failure streak, a failure starts or extends one. */
export type EndpointEffect = 'clear' | 'streak' | 'gone' | 'none'

export interface AttemptRecord {
  startedAt: number
  durationMs: number
  statusCode: number | null
  errorClass: ErrorClass | null
  error: string | null
  /** The headers as sent (custom values masked), for the delivery log. */
  requestHeaders: Record<string, string> | null
  /** The start of the answer body, at most RESPONSE_EXCERPT_BYTES. */
  responseExcerpt: string | null
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

export const isManual = (trigger: Trigger) => trigger === 'manual' || trigger === 'replay'

/**
 * `finishedAt` is when the answer (or the failure) came: retry waits count from then.
 * `requestHeaders` is the logged copy of what was sent (custom header values masked).
 */
export function afterSend(
  claim: Claim, result: SendResult, startedAt: number, finishedAt: number, config: Config, random: Random, trigger: Trigger,
  requestHeaders: Record<string, string> | null = null,
): Finish {
  const attempt: AttemptRecord = {
    startedAt, durationMs: result.durationMs, statusCode: result.statusCode, errorClass: result.errorClass, error: short(result.error),
    requestHeaders, responseExcerpt: result.responseExcerpt === '' ? null : result.responseExcerpt,
  }
  const isTest = trigger === 'test' || claim.event_type === TEST_EVENT_TYPE
  const verdict = classifyResult(result)
  if (verdict === 'succeeded') {
    return { claim, trigger, attempt, status: 'succeeded', nextAttemptAt: null, lastError: null, endpointEffect: isTest ? 'none' : 'clear' }
  }
  // A test send is one check the user watches, never retried and never counted against the
  // endpoint; sending a failed test again (Redeliver) is one more such check.
  if (isTest) return { claim, trigger, attempt, status: 'failed', nextAttemptAt: null, lastError: attempt.error, endpointEffect: 'none' }
  if (verdict === 'gone') return { claim, trigger, attempt, status: 'failed', nextAttemptAt: null, lastError: attempt.error, endpointEffect: 'gone' }
  // A redelivery or replay is one extra attempt outside the automatic budget: when it fails the
  // delivery goes back to where it was — its automatic retry, if one was waiting, at the same
  // time; otherwise failed — and no new retries are scheduled for it.
  if (isManual(trigger)) {
    return {
      claim, trigger, attempt, status: claim.resumeAt === null ? 'failed' : 'pending', nextAttemptAt: claim.resumeAt, lastError: attempt.error, endpointEffect: 'streak',
    }
  }
  const automaticMade = claim.attempts - claim.manualAttempts + 1
  const next = nextAttemptAt(automaticMade, finishedAt, config.retryScheduleMs, config.maxAttempts, random, result.retryAfterMs)
  return {
    claim, trigger, attempt, status: next === null ? 'failed' : 'pending', nextAttemptAt: next, lastError: attempt.error, endpointEffect: 'streak',
  }
}

/** A delivery that cannot be sent at all: failed for good, with the reason in last_error. */
export function notSent(claim: Claim, reason: string, trigger: Trigger = claim.trigger): Finish {
  return { claim, trigger, attempt: null, status: 'failed', nextAttemptAt: null, lastError: short(reason), endpointEffect: 'none' }
}
