// The dialects a database test runs on: always SQLite, and MySQL when the global setup found one.
import { inject } from 'vitest'

export type DialectName = 'sqlite' | 'mysql'

export function dialects(): DialectName[] {
  return inject('mysqlUrl') ? ['sqlite', 'mysql'] : ['sqlite']
}

export function mysqlAdminUrl(): string | null {
  return inject('mysqlUrl')
}
