// utf8mb4_bin (2026_11_28_000500) is a PAD SPACE collation on MariaDB and MySQL: trailing spaces
// are ignored when comparing, so WHERE user_id = 'alice ' finds alice's rows. User ids are opaque
// and must match byte for byte, so the user_id columns move to a NO PAD binary collation:
// utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL 8.0.17+. (MySQL 8.0.1–8.0.16 has
// neither; there the columns stay as they are and the refusal of such ids at the door —
// server/auth/user-id.ts — is the only defence.) SQLite compares bytes already. Each MODIFY is
// idempotent, so a run stopped halfway is finished by running it again.
import { sql, type Kysely } from 'kysely'
import { isMysql } from './dialect.js'

const TABLES = ['endpoints', 'events', 'deliveries']

async function noPadCollation(db: Kysely<any>): Promise<string | null> {
  const res = await sql<{ name: string }>`
    select collation_name as name from information_schema.collations
    where collation_name in ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`.execute(db)
  const names = res.rows.map((r) => r.name)
  return names.includes('utf8mb4_nopad_bin') ? 'utf8mb4_nopad_bin' : names.includes('utf8mb4_0900_bin') ? 'utf8mb4_0900_bin' : null
}

async function setUserIdCollation(db: Kysely<any>, collation: string): Promise<void> {
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} modify ${sql.ref('user_id')} varchar(64) character set utf8mb4 collate ${sql.raw(collation)} not null`.execute(db)
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return
  const collation = await noPadCollation(db)
  if (collation) await setUserIdCollation(db, collation)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return
  await setUserIdCollation(db, 'utf8mb4_bin')
}
