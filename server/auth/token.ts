// Dashboard sign-in tokens: HS256 JWTs with sub = user id and a short expiry. The signing key is
// derived from QSM_BRIDGE_SECRET so the PHP mail app can mint the same tokens without the app key:
//   key = hex(HMAC-SHA256(bridge secret, "qsm-dashboard-token"))
import { createHmac } from 'node:crypto'
import { sign, verify } from 'hono/jwt'
import { userIdProblem } from './user-id.js'

export const TOKEN_MAX_LIFETIME_SECONDS = 3600
const CLOCK_SLACK_SECONDS = 60

export function dashboardTokenKey(bridgeSecret: string): string {
  return createHmac('sha256', bridgeSecret).update('qsm-dashboard-token').digest('hex')
}

export async function mintToken(bridgeSecret: string, userId: string, nowMs: number, lifetimeSeconds = TOKEN_MAX_LIFETIME_SECONDS): Promise<string> {
  const iat = Math.floor(nowMs / 1000)
  const exp = iat + Math.min(lifetimeSeconds, TOKEN_MAX_LIFETIME_SECONDS)
  return sign({ sub: userId, iat, exp }, dashboardTokenKey(bridgeSecret), 'HS256')
}

export type TokenCheck = { ok: true; userId: string } | { ok: false; reason: string }

/** Verifies signature (HS256 only, so "alg: none" and RS/ES confusion fail), expiry and lifetime. */
export async function verifyToken(bridgeSecret: string, token: string, nowMs: number): Promise<TokenCheck> {
  const header = decodeHeader(token)
  if (!header) return { ok: false, reason: 'the token is malformed' }
  if (header.alg !== 'HS256') return { ok: false, reason: `tokens signed with "${String(header.alg)}" are not accepted` }
  let payload: Record<string, unknown>
  try {
    // Expiry is checked below against the injected clock, not here against the wall clock.
    payload = (await verify(token, dashboardTokenKey(bridgeSecret), { alg: 'HS256', exp: false, nbf: false, iat: false })) as Record<string, unknown>
  } catch {
    return { ok: false, reason: 'the token signature is not valid' }
  }
  const now = Math.floor(nowMs / 1000)
  const exp = payload.exp
  if (typeof exp !== 'number') return { ok: false, reason: 'the token has no expiry' }
  if (exp <= now - CLOCK_SLACK_SECONDS) return { ok: false, reason: 'the token has expired; open the dashboard again from QSM' }
  if (exp > now + TOKEN_MAX_LIFETIME_SECONDS + CLOCK_SLACK_SECONDS) return { ok: false, reason: 'the token lives longer than one hour' }
  // nbf is optional (our tokens do not set it), but a token that carries one must not work early.
  const nbf = payload.nbf
  if (nbf !== undefined && typeof nbf !== 'number') return { ok: false, reason: 'the token has an nbf that is not a number' }
  if (typeof nbf === 'number' && nbf > now + CLOCK_SLACK_SECONDS) return { ok: false, reason: 'the token is not valid yet (nbf is in the future); check the clock of the app that made it' }
  const sub = payload.sub
  // "alice " must not sign in as alice: MariaDB's PAD SPACE collation would match her rows.
  const problem = userIdProblem(sub)
  if (problem) return { ok: false, reason: `the token has no valid user id: its sub ${problem}` }
  return { ok: true, userId: sub as string }
}

function decodeHeader(token: string): Record<string, unknown> | null {
  const part = token.split('.')[0]
  if (!part || token.split('.').length !== 3) return null
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    return null
  }
}
