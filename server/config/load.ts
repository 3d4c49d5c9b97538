// Builds the Config from process.env plus a .env file. A bad value stops start with one line per
// variable that names it and says what is wrong; nothing is half-applied.
import { readFileSync, existsSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { envSchema, toConfig, type Config } from './schema.js'

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Parses a .env file with Node's own parser (util.parseEnv): `#` comments, blank lines, `export`,
 * single, double and back quotes. An unquoted `#` starts a comment, so a value holding one must be
 * quoted; the secrets QSM writes itself are base64 and never do.
 */
export function parseDotEnv(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>
}

export function readDotEnv(path: string): Record<string, string> {
  return existsSync(path) ? parseDotEnv(readFileSync(path, 'utf8')) : {}
}

/** Validates an environment map. Real environment variables win over the .env file. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    // An empty value means "use the default", as most .env loaders treat it.
    if ((k.startsWith('QSM_') || k === 'PORT' || k === 'HOST') && v !== undefined && v !== '') cleaned[k] = v
  }
  const result = envSchema.safeParse(cleaned)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'config')
      const message = issue.code === 'invalid_type' && cleaned[name] === undefined ? 'is required' : issue.message
      return `${name} ${message.startsWith(name) ? message.slice(name.length + 1) : message}`
    })
    throw new ConfigError(problems)
  }
  return toConfig(result.data)
}
