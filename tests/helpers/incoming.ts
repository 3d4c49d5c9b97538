// An event as the ingest route hands it to the batcher (parsed, with its payload text), for tests
// that submit to deps.ingest or createIngestBatcher directly.
import { EXAMPLES } from '../../server/events/examples.js'
import { newId } from '../../server/db/ids.js'
import type { IncomingEvent } from '../../server/events/parse-body.js'

/** An email.received event of `userId` with a fresh id; `overrides` replace its fields. */
export function incoming(userId: string, overrides: Record<string, unknown> = {}): IncomingEvent {
  const event = { ...EXAMPLES['email.received'], id: newId('evt'), user_id: userId, ...overrides } as any
  return { event, payload: JSON.stringify(event) }
}
