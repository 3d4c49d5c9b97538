// Verifies a Standard Webhooks signature: required headers, timestamp within the tolerance both
// ways, then any "v1," entry equal in constant time. Used by the ingest route for the bridge and
// exported for receivers written in Node.
import { timingSafeEqual } from 'node:crypto'
import { sign } from './sign.js'

export const DEFAULT_TOLERANCE_SECONDS = 300

export class VerificationError extends Error {
  override name = 'VerificationError'
}

export interface VerifyInput {
  id: string | undefined | null
  timestamp: string | undefined | null
  signature: string | undefined | null
  body: string
}

/** Throws VerificationError with a plain reason; returns the timestamp on success. */
export function verify(keys: Buffer[], input: VerifyInput, nowMs: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): number {
  const { id, timestamp, signature, body } = input
  if (!id || !timestamp || !signature) throw new VerificationError('missing webhook-id, webhook-timestamp or webhook-signature header')
  if (id.includes('.')) throw new VerificationError('webhook-id must not contain "."')
  if (!/^\d{1,12}$/.test(timestamp)) throw new VerificationError('webhook-timestamp is not unix seconds')
  const ts = Number(timestamp)
  const now = Math.floor(nowMs / 1000)
  if (now - ts > toleranceSeconds) throw new VerificationError(`timestamp is too old (more than ${toleranceSeconds} s); check the sender's clock or replay`)
  if (ts - now > toleranceSeconds) throw new VerificationError(`timestamp is too far in the future (more than ${toleranceSeconds} s); check the sender's clock`)
  const given = signature
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => Buffer.from(value!, 'utf8'))
  for (const key of keys) {
    const expected = Buffer.from(sign(key, id, ts, body).slice(3), 'utf8')
    for (const candidate of given) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return ts
    }
  }
  throw new VerificationError('no matching signature')
}
