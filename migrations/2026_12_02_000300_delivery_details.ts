// Issue 15: what a user needs to debug one delivery, custom headers per endpoint, and idempotent
// creates.
// - delivery_attempts.request_headers: the headers of that attempt as sent (JSON), signatures
//   included, custom header values masked; response_excerpt: the first 1 KB of the answer,
//   purged together with the event payload.
// - deliveries.manual_attempts / resume_at: manual redeliveries and replays are counted apart
//   from the automatic retry budget, and a pending delivery's automatic schedule is kept while a
//   manual attempt runs (resume_at is where it picks up again).
// - endpoints.custom_headers: JSON [{name, value_enc}] with each value AES-GCM sealed like secrets.
// - idempotency_keys: the first answer to a POST with an Idempotency-Key, kept 24 h.
import { sql, type Kysely } from 'kysely'
import { isMysql } from './dialect.js'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('delivery_attempts').addColumn('request_headers', 'text').execute()
  await db.schema.alterTable('delivery_attempts').addColumn('response_excerpt', 'text').execute()
  await db.schema.alterTable('deliveries').addColumn('manual_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('deliveries').addColumn('resume_at', 'bigint').execute()
  await db.schema.alterTable('endpoints').addColumn('custom_headers', 'text').execute()
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('idem_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
    // 0 while the first request is still running.
    .addColumn('status', 'integer', (c) => c.notNull())
    /** The answer body, sealed like secrets: an endpoint's first answer carries its signing secret. */
    .addColumn('body_enc', isMysql(db) ? sql`mediumtext` : 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'idem_key'])
    // Keys and user ids compare byte for byte, as everywhere else (2026_11_28_000500).
    .$call((b) => (isMysql(db) ? b.modifyEnd(sql`character set utf8mb4 collate utf8mb4_bin`) : b))
    .execute()
  await db.schema.createIndex('idempotency_keys_by_time').on('idempotency_keys').column('created_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
  await db.schema.alterTable('endpoints').dropColumn('custom_headers').execute()
  await db.schema.alterTable('deliveries').dropColumn('resume_at').execute()
  await db.schema.alterTable('deliveries').dropColumn('manual_attempts').execute()
  await db.schema.alterTable('delivery_attempts').dropColumn('response_excerpt').execute()
  await db.schema.alterTable('delivery_attempts').dropColumn('request_headers').execute()
}
