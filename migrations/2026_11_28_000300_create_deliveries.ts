import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('endpoint_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('event_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('lease_owner', 'varchar(80)')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'varchar(300)')
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('last_duration_ms', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  // The claim query filters on status and due time and orders by (next_attempt_at, id); this index
  // matches it exactly, so InnoDB locks only the rows it returns (no filesort, no gap-lock pile-up).
  await db.schema.createIndex('deliveries_claim').on('deliveries').columns(['status', 'next_attempt_at', 'id']).execute()
  // One delivery per (event, endpoint): a repeated ingest can never fan out twice.
  await db.schema.createIndex('deliveries_event_endpoint').on('deliveries').columns(['event_id', 'endpoint_id']).unique().execute()
  // The delivery log: a user's deliveries newest first (ids are time-ordered).
  await db.schema.createIndex('deliveries_by_user').on('deliveries').columns(['user_id', 'id']).execute()
  await db.schema.createIndex('deliveries_by_endpoint').on('deliveries').columns(['endpoint_id', 'id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('deliveries').execute()
}
