// When to try a failed delivery again, and what an attempt's result means. Pure functions: the
// clock and randomness are passed in, so tests assert exact times.
import type { SendResult } from './types.js'

/** ±10 %: spreads retries of many deliveries that failed together (one outage) over time. */
const JITTER = 0.1

/**
 * The time of the next attempt after `attemptsMade` attempts (counting the one that just failed),
 * or null when the delivery has used all its attempts and is failed for good.
 *
 * `schedule[i]` is the wait after attempt i+1; past its end the last step repeats (when
 * QSM_MAX_ATTEMPTS asks for more attempts than the schedule has steps). `random() = 0.5` gives
 * the exact step.
 *
 * Retry-After (`retryAfterMs`) replaces the jittered wait within bounds: at least the scheduled
 * wait, so a receiver cannot make us retry faster than the schedule, and at most the longest step
 * of the schedule, so it cannot push a delivery out indefinitely (docs/reference.md says so).
 */
export function nextAttemptAt(
  attemptsMade: number,
  nowMs: number,
  schedule: readonly number[],
  maxAttempts: number,
  random: () => number,
  retryAfterMs?: number | null,
): number | null {
  if (attemptsMade >= maxAttempts || schedule.length === 0) return null
  const step = schedule[Math.min(Math.max(attemptsMade, 1) - 1, schedule.length - 1)]!
  const jittered = Math.round(step * (1 + JITTER * (random() * 2 - 1)))
  let wait = jittered
  if (retryAfterMs !== undefined && retryAfterMs !== null && retryAfterMs > 0) {
    const longest = Math.max(...schedule)
    wait = Math.max(jittered, Math.min(retryAfterMs, longest))
  }
  return nowMs + wait
}

/** What one attempt's result means for the delivery. */
export type Verdict = 'succeeded' | 'gone' | 'retry'

/**
 * 2xx is success. 410 Gone is the receiver saying "stop sending here": the endpoint is disabled.
 * Everything else (3xx — redirects are not followed —, other 4xx, 5xx, timeouts, network errors,
 * blocked addresses) is retried until the attempts run out.
 */
export function classifyResult(result: Pick<SendResult, 'ok' | 'statusCode'>): Verdict {
  if (result.ok) return 'succeeded'
  if (result.statusCode === 410) return 'gone'
  return 'retry'
}

export const GONE_REASON = 'The endpoint answered 410 Gone'
