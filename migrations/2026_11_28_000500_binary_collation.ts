// MySQL compares text with the server's default collation, usually case- and accent-insensitive:
// user ids "User1" and "user1" would match each other's rows, and event ids "evt_A…" and "evt_a…"
// would count as duplicates. Ids are opaque strings, so every table compares them byte for byte.
// SQLite already compares text as bytes; nothing to do there. Each ALTER is idempotent, so a run
// stopped halfway is finished by running it again.
import { sql, type Kysely } from 'kysely'
import { isMysql } from './dialect.js'

const TABLES = ['endpoints', 'events', 'deliveries', 'delivery_attempts']

export async function up(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} convert to character set utf8mb4 collate utf8mb4_bin`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} convert to character set utf8mb4 collate utf8mb4_general_ci`.execute(db)
  }
}
