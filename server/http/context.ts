// What every handler can reach: the runtime's dependencies (built in deps.ts) and, on dashboard
// routes, the signed-in user.
import type { Deps } from '../deps.js'

export interface AppEnv {
  Variables: {
    deps: Deps
    userId: string
    /**
     * Per-user request counter (a WindowCounter from rate-limit.ts), checked by requireUser once the
     * user is known: answers how long to wait, 0 when the request may go on. Declared by shape so
     * this file and rate-limit.ts do not import each other.
     */
    userLimiter: { hit(key: string, nowMs: number): number }
  }
}
