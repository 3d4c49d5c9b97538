// What every handler can reach: the app's dependencies and, on dashboard routes, the signed-in user.
import type { Config } from '../config/schema.js'
import type { Clock, Random } from '../clock.js'
import type { Db } from '../db/connect.js'
import type { Logger } from '../log.js'
import type { Dispatcher, Sender } from '../delivery/types.js'
import type { WindowCounter } from './rate-limit.js'

export interface AppDeps {
  db: Db
  config: Config
  clock: Clock
  random: Random
  log: Logger
  /** Sends one signed HTTP request (undici in production and in tests, against a real receiver). */
  sender: Sender
  /** Wakes the in-process delivery loop after ingest so first attempts start without a tick. */
  dispatcher: Dispatcher
}

export interface AppEnv {
  Variables: {
    deps: AppDeps
    userId: string
    /** Per-user request counter, checked by requireUser once the user is known. */
    userLimiter: WindowCounter
  }
}
