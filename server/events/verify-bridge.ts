// The bridge's requests are signed like our outgoing webhooks (Standard Webhooks), keyed with the
// UTF-8 bytes of QSM_BRIDGE_SECRET exactly as written in .env. A failure is a 401 with the reason,
// so the mail app's operator can tell a wrong secret from a skewed clock.
import type { Context } from 'hono'
import { ApiError } from '../http/errors.js'
import { verify, VerificationError } from '../signing/verify.js'
import type { AppEnv } from '../http/context.js'

export function verifyBridgeRequest(c: Context<AppEnv>, body: string): void {
  const { config, clock } = c.get('deps')
  try {
    verify(
      [Buffer.from(config.bridgeSecret, 'utf8')],
      { id: c.req.header('webhook-id'), timestamp: c.req.header('webhook-timestamp'), signature: c.req.header('webhook-signature'), body },
      clock.now(),
      config.signatureToleranceSeconds,
    )
  } catch (err) {
    if (err instanceof VerificationError) throw new ApiError('unauthorized', `Bridge signature refused: ${err.message}`)
    throw err
  }
}
