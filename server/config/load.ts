// Builds the Config from process.env plus a .env file. A bad value stops start with one line per
// variable that names it and says what is wrong; nothing is half-applied.
import { readFileSync, existsSync } from 'node:fs'
import { envSchema, toConfig, type Config } from './schema.js'

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** Parses `KEY=value` lines; `#` comments and blank lines are ignored, quotes are stripped. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (!m || line.trimStart().startsWith('#')) continue
    let value = m[2]!
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1)
    out[m[1]!] = value
  }
  return out
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
