// What every handler can reach: the runtime's dependencies (built in deps.ts) and, on dashboard
// routes, the signed-in user.
import type { Deps } from '../deps.js'
import type { WindowCounter } from './rate-limit.js'

export interface AppEnv {
  Variables: {
    deps: Deps
    userId: string
    /** Per-user request counter, checked by requireUser once the user is known. */
    userLimiter: WindowCounter
  }
}
