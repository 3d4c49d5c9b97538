// Long-running CLI commands: `tick` (one bounded pass, what /tick does) and `worker` (deliveries
// continuously until SIGTERM/SIGINT, then the claims it has not started are given back).
import type { Config } from '../config/schema.js'
import type { Logger } from '../log.js'
import { openDatabase } from '../runtime.js'
import { buildDeps } from '../deps.js'
import { runTick, tickLine } from '../delivery/tick.js'
import { newOwnerId, runDue } from '../delivery/runner.js'
import { leaseMsFromEnv } from '../delivery/claim.js'
import { releaseOwner } from '../delivery/release.js'

/** Polling interval of an idle worker; a busy one claims again as soon as slots free up. */
const WORKER_IDLE_POLL_MS = 250

/** QSM_LEASE_MS (claim.ts leaseMsFromEnv): how soon a killed worker's deliveries come back. */
function leaseFromEnv(config: Config): number {
  return leaseMsFromEnv(config.deliveryTimeoutMs, process.env.QSM_LEASE_MS)
}

async function tick(config: Config, log: Logger): Promise<number> {
  const db = await openDatabase(config, log)
  const deps = buildDeps({ config, db, log })
  try {
    process.stdout.write(tickLine(await runTick(deps)) + '\n')
    // After the tick's summary: alert e-mails, each bounded by the SMTP timeouts.
    if (deps.alerts.enabled) {
      const mail = await deps.alerts.drainNow()
      if (mail.sent + mail.failed > 0) process.stdout.write(`alerts: ${mail.sent} e-mails sent, ${mail.failed} to retry\n`)
    }
    return 0
  } finally {
    await deps.alerts.stop()
    await deps.sender.close()
    await db.close()
  }
}

async function worker(config: Config, log: Logger): Promise<number> {
  const leaseMs = leaseFromEnv(config)
  const db = await openDatabase(config, log)
  const deps = buildDeps({ config, db, log, alertLoop: true })
  const owner = newOwnerId()
  let stopping = false
  const onSignal = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stdout.write(`worker ${owner}: ${signal} received, finishing the requests in flight\n`)
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.stdout.write(
    `worker ${owner} started: ${db.version}, ${config.concurrency} in flight (${config.userConcurrency} per user), lease ${Math.round(leaseMs / 1000)} s\n`,
  )
  try {
    const s = await runDue(deps, { owner, budgetMs: Number.POSITIVE_INFINITY, stopWhenEmpty: false, leaseMs, idlePollMs: WORKER_IDLE_POLL_MS, shouldStop: () => stopping })
    // runDue already gave back what it had claimed but not started; this catches anything else.
    const released = s.released + (await releaseOwner(db, owner, deps.clock.now()))
    process.stdout.write(
      `worker ${owner} stopped: ${s.claimed} claimed, ${s.succeeded} succeeded, ${s.retried} to retry, ${s.failed} failed, ${released} given back\n`,
    )
    return 0
  } finally {
    await deps.alerts.stop()
    await deps.sender.close()
    await db.close()
  }
}

export async function runCommand(command: string, _args: string[], config: Config, log: Logger): Promise<number> {
  if (command === 'tick') return tick(config, log)
  if (command === 'worker') return worker(config, log)
  process.stderr.write(`Unknown command "${command}". Run qsm-webhooks help.\n`)
  return 2
}
