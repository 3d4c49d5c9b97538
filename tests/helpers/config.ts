// A valid config for tests: fixed secrets, private targets allowed (the receiver is on loopback),
// logging off unless a test asks for it.
import { loadConfig } from '../../server/config/load.js'
import type { Config } from '../../server/config/schema.js'

export const TEST_SECRETS = {
  QSM_APP_KEY: 'base64:' + Buffer.alloc(32, 7).toString('base64'),
  QSM_BRIDGE_SECRET: 'base64:' + Buffer.alloc(32, 9).toString('base64'),
  QSM_CRON_TOKEN: 'test-cron-token-0123456789abcdef',
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return { ...TEST_SECRETS, QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_LOG_LEVEL: 'silent', ...overrides }
}

export function testConfig(overrides: Record<string, string> = {}, databaseUrl = 'sqlite::memory:'): Config {
  return loadConfig(testEnv({ QSM_DATABASE_URL: databaseUrl, ...overrides }))
}
