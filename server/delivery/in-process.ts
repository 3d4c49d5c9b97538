// The delivery loop that runs inside the web process. (Being built.)
import type { AppDeps } from '../http/context.js'
import { idleDispatcher, type Dispatcher } from './types.js'

export function startInProcessDispatcher(_deps: AppDeps): Dispatcher {
  return idleDispatcher
}
