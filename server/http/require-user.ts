// Dashboard routes need `Authorization: Bearer <token>`; the user id from the token scopes every query.
import { createMiddleware } from 'hono/factory'
import { verifyToken } from '../auth/token.js'
import { ApiError } from './errors.js'
import { rememberTokenEmail } from '../alerts/settings.js'
import type { AppEnv } from './context.js'

export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  // Route modules may attach this to overlapping patterns; verify and count each request once.
  if (c.get('userId')) return next()
  const header = c.req.header('authorization') ?? ''
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (!match) throw new ApiError('unauthorized', 'Sign in first: send Authorization: Bearer <token>')
  const { config, clock } = c.get('deps')
  const check = await verifyToken(config.bridgeSecret, match[1]!, clock.now())
  if (!check.ok) throw new ApiError('unauthorized', `Not signed in: ${check.reason}`)
  c.set('userId', check.userId)
  const wait = c.get('userLimiter')?.hit(check.userId, clock.now()) ?? 0
  if (wait > 0) {
    const seconds = String(Math.max(1, Math.ceil(wait / 1000)))
    throw new ApiError('rate_limited', `Too many requests for this account; try again in ${seconds} s`, undefined, { 'Retry-After': seconds })
  }
  // The mail app puts the owner's address in the sign-in link; it becomes the alert address
  // unless the user chose another on the Alerts screen. Written only when it changes.
  if (check.email) await rememberTokenEmail(c.get('deps').db, check.userId, check.email, clock.now())
  await next()
})
