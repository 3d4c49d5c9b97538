// The running service's dependencies, built in one place and owned by the runtime (not by the HTTP
// layer): main.ts, the CLI, the bench and the tests all call buildDeps, so each gets the same
// limiter, ingest batcher and delivery loop. Route handlers read this object; the delivery engine
// takes only the slice it uses (EngineDeps).
import type { Config } from './config/schema.js'
import { systemClock, type Clock, type Random } from './clock.js'
import type { Db } from './db/connect.js'
import type { Logger } from './log.js'
import { SendLimiter } from './delivery/limiter.js'
import { createUndiciSender } from './delivery/sender.js'
import { startScheduler, type SchedulerOptions } from './delivery/scheduler.js'
import { idleDispatcher, type Dispatcher, type EngineDeps } from './delivery/types.js'
import { createIngestBatcher, type IngestBatcher } from './events/group-commit.js'
import { createIngestGate, type IngestGate } from './events/admission.js'
import { createAlertMailer, type AlertMailer } from './alerts/mailer.js'
import type { MailTransport } from './alerts/transport.js'
import { createDnsResolver, systemResolver, type TenantResolver } from './net/dns-resolver.js'

export interface Deps extends EngineDeps {
  /** Commits ingested events in groups (one transaction for many requests under load). */
  ingest: IngestBatcher
  /** How many ingest requests (and bytes of them) this process holds at once; past it, 503. */
  ingestGate: IngestGate
  /** Wakes the in-process delivery loop after ingest so first attempts start without a tick. */
  dispatcher: Dispatcher
  /** Sends owner alert e-mails from the outbox, outside requests and delivery passes (off without QSM_SMTP_URL). */
  alerts: AlertMailer
  /** Host name resolution (c-ares, capped per user, cached): endpoint checks and the sender share it. */
  dns: TenantResolver
}

export interface DepsParts {
  db: Db
  config: Config
  log: Logger
  clock?: Clock
  random?: Random
  sender?: EngineDeps['sender']
  /** Replace the dispatcher (tests that count wake-ups). */
  dispatcher?: Dispatcher
  /** Run the delivery loop in this process (the web process, unless QSM_WEB_DELIVERY=false); the CLI's tick and worker do not. */
  inProcessLoop?: SchedulerOptions
  /** Replace the ingest gate (tests: a small one, to see the 503 without thousands of requests). */
  ingestGate?: IngestGate
  /** Replace the SMTP transport (tests). */
  mailTransport?: MailTransport
  /** Drain the alert outbox on a timer here (the web process and workers; implied by inProcessLoop). */
  alertLoop?: boolean
}

export function buildDeps(parts: DepsParts): Deps {
  const { config } = parts
  const clock = parts.clock ?? systemClock
  const dns = config.dnsServers.length > 0 ? createDnsResolver({ servers: config.dnsServers }) : systemResolver()
  const deps: Deps = {
    dns,
    db: parts.db,
    config,
    log: parts.log,
    clock,
    random: parts.random ?? Math.random,
    sender: parts.sender ?? createUndiciSender({ allowPrivateTargets: config.allowPrivateTargets, concurrency: Math.max(config.concurrency, config.userConcurrency), resolve: dns }),
    // One limiter per process: everything that sends here (loop, /tick, test sends) shares its slots.
    limiter: new SendLimiter(config.concurrency, config.userConcurrency, config.endpointConcurrency),
    dispatcher: parts.dispatcher ?? idleDispatcher,
    alerts: createAlertMailer({
      db: parts.db, log: parts.log, clock, config, transport: parts.mailTransport, loop: parts.alertLoop ?? parts.inProcessLoop !== undefined,
    }),
    ingestGate: parts.ingestGate ?? createIngestGate(),
    ingest: createIngestBatcher(
      parts.db,
      () => deps.clock.now(),
      (results) => {
        // Only after the commit: the delivery loop must find the rows it is woken for. A
        // dispatcher with hand-off wakes its own claim path for the rows it could not take.
        if (!deps.dispatcher.openHandOff && results.some((r) => !r.duplicate && r.deliveries > 0)) deps.dispatcher.wake()
      },
      // Read at each transaction (tests and main swap the dispatcher after building deps): no loop
      // in this process (tick-only hosting, the CLI) means no hand-off, only due rows.
      () => deps.dispatcher.openHandOff?.() ?? null,
    ),
  }
  // Sends give way to events waiting to be stored (limiter.ts, yieldTo).
  deps.limiter.yieldTo(() => deps.ingest.waiting())
  // The loop needs the finished object (it sends through deps.sender under deps.limiter), so it is
  // attached last, here and nowhere else.
  if (parts.inProcessLoop && !parts.dispatcher) deps.dispatcher = startScheduler(deps, parts.inProcessLoop)
  return deps
}
