// Issue 13: deliveries_claim (status, next_attempt_at, id) served the first claim, which took the
// oldest due rows of everyone. Runners have claimed fairly since 3 December (server/db/due-heads.ts,
// by deliveries_due_by_endpoint), and every other query that reads by status first (the purge)
// finds the same prefix in that index. A delivery row is written up to three times (inserted,
// leased, finished; a handed-off row is inserted leased) and each write moved an entry of this
// index: MariaDB spent ~12 % less CPU per delivery in a drain without it (bench/README.md, "Fewer
// index writes per delivery").
import type { Kysely } from 'kysely'
import { dropIndex } from './dialect.js'

export async function up(db: Kysely<any>): Promise<void> {
  await dropIndex(db, 'deliveries_claim', 'deliveries')
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('deliveries_claim').on('deliveries').columns(['status', 'next_attempt_at', 'id']).execute()
}
