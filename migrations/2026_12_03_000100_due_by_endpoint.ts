// Issue 12/13: the fair claim's first read (server/db/due-heads.ts). On SQLite it finds the
// endpoints with pending rows by a loose scan of this index (one seek per endpoint) and reads each
// one's first due rows by a short range, so a claim costs the same beside a hostile user's backlog
// of 10 rows or 100,000. user_id rides along, so neither that read nor MySQL's window over the due
// rows needs the table.
import type { Kysely } from 'kysely'
import { dropIndex } from './dialect.js'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('deliveries_due_by_endpoint').on('deliveries').columns(['status', 'endpoint_id', 'next_attempt_at', 'id', 'user_id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropIndex(db, 'deliveries_due_by_endpoint', 'deliveries')
}
