// Runs the migrations in migrations/ (idempotent; MySQL serialises concurrent runs with GET_LOCK).
import { Migrator, type MigrationResult } from 'kysely'
import { migrations } from '../../migrations/index.js'
import type { Db } from './connect.js'

export class MigrationError extends Error {
  override name = 'MigrationError'
}

export async function migrateToLatest({ db }: Db): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'qsm_migrations',
    migrationLockTableName: 'qsm_migrations_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')
    throw new MigrationError(`Migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`)
  }
  return results ?? []
}
