// Which database errors mean "not reachable right now, try again shortly" rather than a bug: the
// HTTP layer answers them 503 + Retry-After, and the ingest batcher stops splitting a batch on them.

const DOWN_CODES = new Set(['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNRESET', 'ER_SERVER_SHUTDOWN', 'EPIPE', 'ER_CON_COUNT_ERROR'])

export function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: unknown; fatal?: unknown } | null
  // mysql2 marks every connection-level error fatal. When the server dies inside a transaction,
  // the rollback on the dead connection throws "Can't add new command when connection is in
  // closed state" with fatal: true and no code at all, so the code list alone misses it.
  if (e?.fatal === true) return true
  const code = e?.code
  if (typeof code !== 'string') return false
  // SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, _RECOVERY, _TIMEOUT): another
  // process holds the file; trying again shortly works.
  return DOWN_CODES.has(code) || /^SQLITE_BUSY/.test(code)
}
