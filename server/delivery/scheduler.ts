// The delivery loop inside the web process: a pass right after an ingest (wake), and a slow poll
// so retries that fall due are sent while the process lives. Under Passenger the process may be
// stopped when idle; then /tick from cron picks up whatever is due.
import { releaseOwner } from './release.js'
import { newOwnerId, runDue } from './runner.js'
import type { Dispatcher, EngineDeps } from './types.js'

/** How long one pass may keep claiming; a new pass starts at the next wake or poll. */
const PASS_BUDGET_MS = 60_000

export interface SchedulerOptions {
  /** The slow poll; the default suits a web process (retries are sent within a second of falling due). */
  pollMs?: number
  /** Called after every finished pass, found work or not (tests wait on it instead of sleeping). */
  onPass?: () => void
}

export function startScheduler(deps: EngineDeps, opts: SchedulerOptions = {}): Dispatcher {
  const owner = newOwnerId()
  let current: Promise<void> | null = null
  let again = false
  let stopped = false

  const pass = () => {
    if (stopped) return
    // One pass at a time; a wake during a pass asks for another one right after it.
    // The running pass may be waiting for a slot: poke it, so it claims the new rows at once.
    if (current) { again = true; deps.limiter.poke(); return }
    current = (async () => {
      do {
        again = false
        try {
          // A wake during the pass is taken by the pass itself (it claims again at once), so
          // events committed while earlier ones are being sent do not wait for the pass to end.
          const takeWake = () => { const woken = again; again = false; return woken }
          await runDue(deps, { owner, budgetMs: PASS_BUDGET_MS, stopWhenEmpty: true, shouldStop: () => stopped, takeWake })
        } catch (err) {
          deps.log.error('delivery pass failed', { error: (err as Error).message })
        }
      } while (again && !stopped)
    })().finally(() => {
      current = null
      opts.onPass?.()
    })
  }

  const timer = setInterval(pass, opts.pollMs ?? 1_000)
  timer.unref()

  return {
    // setImmediate: the ingest answer is sent first, then the first attempts start.
    wake: () => { setImmediate(pass) },
    async stop() {
      stopped = true
      clearInterval(timer)
      await current
      // Anything still leased by this process goes back, so another one can send it now.
      await releaseOwner(deps.db, owner, deps.clock.now()).catch(() => 0)
    },
  }
}
