// Endpoint health and owner alerts (issue 14):
// - endpoints gain the failure streak's size and last error, and alert_state: the last health state
//   the owner was told about. Changing alert_state with a compare-and-set UPDATE is what makes each
//   state change announce itself once, however many processes see it at the same time.
// - alert_settings: where a user's alerts go (address from the sign-in token, or set by the user).
// - alert_outbox: e-mails waiting to be sent, written in the same transaction as the state change
//   and sent later by a small loop, so no request or /tick waits on an SMTP server.
// MySQL: the new tables compare ids byte for byte like the others (utf8mb4_bin, user_id NO PAD).
import { sql, type Kysely } from 'kysely'
import { isMysql } from './dialect.js'

async function binaryIds(db: Kysely<any>, table: string): Promise<void> {
  if (!isMysql(db)) return
  await sql`alter table ${sql.table(table)} convert to character set utf8mb4 collate utf8mb4_bin`.execute(db)
  const res = await sql<{ name: string }>`
    select collation_name as name from information_schema.collations
    where collation_name in ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`.execute(db)
  const names = res.rows.map((r) => r.name)
  const noPad = names.includes('utf8mb4_nopad_bin') ? 'utf8mb4_nopad_bin' : names.includes('utf8mb4_0900_bin') ? 'utf8mb4_0900_bin' : null
  if (noPad) {
    await sql`alter table ${sql.table(table)} modify ${sql.ref('user_id')} varchar(64) character set utf8mb4 collate ${sql.raw(noPad)} not null`.execute(db)
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('endpoints').addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('endpoints').addColumn('last_failure_at', 'bigint').execute()
  await db.schema.alterTable('endpoints').addColumn('last_failure_error', 'varchar(300)').execute()
  await db.schema.alterTable('endpoints').addColumn('alert_state', 'varchar(16)', (c) => c.notNull().defaultTo('healthy')).execute()

  await db.schema
    .createTable('alert_settings')
    .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('email', 'varchar(320)')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    /** token: taken from the sign-in link (updated when the link brings another); user: set on the Alerts screen. */
    .addColumn('source', 'varchar(10)', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await binaryIds(db, 'alert_settings')

  await db.schema
    .createTable('alert_outbox')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('endpoint_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('to_address', 'varchar(320)', (c) => c.notNull())
    .addColumn('subject', 'varchar(300)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'varchar(300)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute()
  await db.schema.createIndex('alert_outbox_due').on('alert_outbox').columns(['status', 'next_attempt_at']).execute()
  await binaryIds(db, 'alert_outbox')
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('alert_outbox').execute()
  await db.schema.dropTable('alert_settings').execute()
  for (const column of ['alert_state', 'last_failure_error', 'last_failure_at', 'consecutive_failures']) {
    await db.schema.alterTable('endpoints').dropColumn(column).execute()
  }
}
