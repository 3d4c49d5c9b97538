// Migrations are frozen in time and import nothing from server/. These helpers tell them which
// dialect they run on, for the few column types that differ (long text on MySQL), and drop an index
// the way each dialect spells it.
import { MysqlAdapter, type Kysely } from 'kysely'

export const isMysql = (db: Kysely<any>) => db.getExecutor().adapter instanceof MysqlAdapter

/**
 * DROP INDEX: MySQL names the table (`ON t`), SQLite must not. Kysely writes the ON clause it is
 * given on every dialect, so it is given only on MySQL.
 */
export async function dropIndex(db: Kysely<any>, index: string, table: string): Promise<void> {
  const drop = db.schema.dropIndex(index)
  await (isMysql(db) ? drop.on(table) : drop).execute()
}
