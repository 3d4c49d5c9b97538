// The end of a bench tool's run, in the order that leaves nothing behind: the service processes
// first (so nothing writes any more), then the tool's own connection, then the database. And the
// end of the tool itself: the receiver, any child still running, then the process (open handles
// such as keep-alive sockets would otherwise hold it).
import type { BenchDb } from './database.js'
import type { RawSql } from './raw-sql.js'
import type { Receiver } from './receiver-client.js'
import type { Service } from './service.js'
import { killAll, type Child } from './proc.js'

export async function endRun(run: { web: Service; sql: RawSql; db: BenchDb; worker?: Child | null }): Promise<void> {
  await run.worker?.stop()
  await run.web.stop()
  await run.sql.close()
  await run.db.drop()
}

export async function endTool(receiver: Receiver): Promise<never> {
  await receiver.stop()
  killAll()
  process.exit(0)
}
