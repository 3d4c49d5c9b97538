// The alert sender of one process: drains the outbox on a slow timer and when kicked (after a
// /tick), one pass at a time, never inside a request or a delivery pass. Without QSM_SMTP_URL it
// is off: no transport, no timer, and no e-mail is queued (health-alerts.ts checks `enabled`).
import type { Db } from '../db/connect.js'
import type { Logger } from '../log.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config/schema.js'
import { drainOutbox, type DrainSummary } from './drain.js'
import { smtpTransport, type MailTransport } from './transport.js'

export interface AlertMailer {
  readonly enabled: boolean
  /** Start a pass soon, in the background; returns at once. */
  kick(): void
  /** One pass now (the CLI tick, tests). */
  drainNow(): Promise<DrainSummary>
  stop(): Promise<void>
}

export const ALERT_POLL_MS = 15_000

export function createAlertMailer(opts: { db: Db; log: Logger; clock: Clock; config: Config; transport?: MailTransport; loop?: boolean; pollMs?: number }): AlertMailer {
  const { config } = opts
  if (!config.smtpUrl) {
    return { enabled: false, kick() {}, drainNow: async () => ({ sent: 0, failed: 0 }), stop: async () => {} }
  }
  const transport = opts.transport ?? smtpTransport(config.smtpUrl)
  let current: Promise<DrainSummary> | null = null
  let stopped = false
  const pass = (): Promise<DrainSummary> => {
    current ??= drainOutbox({ db: opts.db, log: opts.log, now: () => opts.clock.now(), transport, from: config.alertFrom })
      .finally(() => { current = null })
    return current
  }
  const timer = opts.loop ? setInterval(() => { if (!stopped) void pass() }, opts.pollMs ?? ALERT_POLL_MS) : null
  timer?.unref()
  return {
    enabled: true,
    kick: () => { if (!stopped) setImmediate(() => void pass()) },
    drainNow: pass,
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      await current
      transport.close()
    },
  }
}
