// Boots the service from its config: .env, logger, database and migrations. Used by main.ts and by
// the CLI, so both start the same way; deps.ts then builds the dependency object.
import { resolve } from 'node:path'
import { loadConfig, readDotEnv } from './config/load.js'
import { ensureDotEnv } from './config/first-run.js'
import type { Config } from './config/schema.js'
import { connect, type Db } from './db/connect.js'
import { migrateToLatest } from './db/migrate.js'
import { createLogger, type Logger } from './log.js'

export interface Boot {
  config: Config
  /** True when this start wrote a fresh .env. */
  wroteEnv: boolean
}

/** Reads .env (writing one with fresh secrets on a first start) and validates it. */
export function bootConfig(cwd = process.cwd(), env: Record<string, string | undefined> = process.env): Boot {
  const envPath = resolve(cwd, '.env')
  const wroteEnv = ensureDotEnv(envPath, env)
  const config = loadConfig({ ...readDotEnv(envPath), ...env })
  return { config, wroteEnv }
}

export function loggerFor(config: Config): Logger {
  return createLogger({ level: config.logLevel, secrets: [config.appKey, config.bridgeSecret, config.cronToken, ...smtpPassword(config.smtpUrl)] })
}

export async function openDatabase(config: Config, log: Logger): Promise<Db> {
  const db = await connect(config.databaseUrl, { poolSize: config.concurrency + 4 })
  const results = await migrateToLatest(db)
  for (const r of results) log.info('migration applied', { name: r.migrationName })
  return db
}

/** The password in QSM_SMTP_URL (raw and decoded), redacted like the other secrets. */
function smtpPassword(smtpUrl: string): string[] {
  try {
    const { password } = new URL(smtpUrl)
    return password ? [password, decodeURIComponent(password)] : []
  } catch {
    return []
  }
}
