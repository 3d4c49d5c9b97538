// Sends what the outbox holds: a few e-mails per pass, each with the transport's own timeouts.
// A failed send is tried again later (outbox.ts RETRY_WAITS_MS); nothing here can throw into the
// caller, because the caller is a timer or the tail of a /tick.
import type { Db } from '../db/connect.js'
import type { Logger } from '../log.js'
import { autocommitWrites } from '../db/write-first.js'
import { markFailed, markSent, takeDueMail } from './outbox.js'
import type { MailTransport } from './transport.js'

export interface DrainSummary {
  sent: number
  failed: number
}

export interface DrainDeps {
  db: Db
  log: Logger
  now: () => number
  transport: MailTransport
  from: string
}

const PER_PASS = 20

export async function drainOutbox(deps: DrainDeps, limit = PER_PASS): Promise<DrainSummary> {
  const summary: DrainSummary = { sent: 0, failed: 0 }
  let taken
  try {
    taken = await autocommitWrites(deps.db, (q) => takeDueMail(q, deps.now(), limit))
  } catch (err) {
    deps.log.warn('could not read the alert outbox', { error: (err as Error).message })
    return summary
  }
  for (const mail of taken) {
    try {
      await deps.transport.send({ from: deps.from, to: mail.to, subject: mail.subject, text: mail.text })
      await autocommitWrites(deps.db, (q) => markSent(q, mail, deps.now()))
      summary.sent += 1
    } catch (err) {
      const error = (err as Error).message
      summary.failed += 1
      // The address is the owner's own; the error comes from the mail server and holds no secret.
      deps.log.warn('could not send an alert e-mail', { error, attempt: mail.attempts })
      await autocommitWrites(deps.db, (q) => markFailed(q, mail, error, deps.now())).catch(() => {})
    }
  }
  return summary
}
