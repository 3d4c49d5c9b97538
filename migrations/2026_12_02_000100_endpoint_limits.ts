// An optional per-endpoint rate limit (issue 12): at most rate_limit_max deliveries per
// rate_limit_per ('second' or 'minute'). Both null means no limit beyond the in-flight caps.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('endpoints').addColumn('rate_limit_per', 'varchar(8)').execute()
  await db.schema.alterTable('endpoints').addColumn('rate_limit_max', 'integer').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('endpoints').dropColumn('rate_limit_max').execute()
  await db.schema.alterTable('endpoints').dropColumn('rate_limit_per').execute()
}
