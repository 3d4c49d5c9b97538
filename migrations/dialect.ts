// Migrations are frozen in time and import nothing from server/. This one helper tells them which
// dialect they run on, for the few column types that differ (long text on MySQL).
import { MysqlAdapter, type Kysely } from 'kysely'

export const isMysql = (db: Kysely<any>) => db.getExecutor().adapter instanceof MysqlAdapter
