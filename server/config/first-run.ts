// On a first start with no .env, write one with fresh random secrets so `npm start` needs no setup.
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { isPermissionError, writeAccessError } from '../fs/write-access.js'

export function freshSecrets(): Record<string, string> {
  return {
    QSM_APP_KEY: `base64:${randomBytes(32).toString('base64')}`,
    QSM_BRIDGE_SECRET: `base64:${randomBytes(32).toString('base64')}`,
    QSM_CRON_TOKEN: randomBytes(24).toString('base64url'),
  }
}

/** Writes `.env` when it is missing and the secrets are not already in the environment. */
export function ensureDotEnv(path: string, env: Record<string, string | undefined>): boolean {
  if (existsSync(path) || env.QSM_APP_KEY) return false
  const s = freshSecrets()
  const body = [
    '# Written by QSM Webhooks on first start. Keep this file private: it holds your secrets.',
    '# Every setting is described in .env.example and docs/configuration.md.',
    `QSM_APP_KEY=${s.QSM_APP_KEY}`,
    `QSM_BRIDGE_SECRET=${s.QSM_BRIDGE_SECRET}`,
    `QSM_CRON_TOKEN=${s.QSM_CRON_TOKEN}`,
    '# Set to true only for local testing: it allows http:// and local addresses as endpoint URLs.',
    'QSM_ALLOW_PRIVATE_TARGETS=false',
    '',
  ].join('\n')
  try {
    writeFileSync(path, body, { mode: 0o600 })
  } catch (err) {
    if (!isPermissionError(err)) throw err
    throw writeAccessError(err, path, 'on a first start, with fresh random secrets, because none are set',
      'set QSM_APP_KEY, QSM_BRIDGE_SECRET and QSM_CRON_TOKEN in the environment (SetEnv, or the Environment variables of Setup Node.js App)')
  }
  return true
}
