// Builds the real app over a test database with a hand-moved clock, plus small request helpers.
import { createApp, type App } from '../../server/app.js'
import { manualClock } from '../../server/clock.js'
import { mintToken } from '../../server/auth/token.js'
import { createLogger, type Logger } from '../../server/log.js'
import { buildDeps, type Deps, type DepsParts } from '../../server/deps.js'
import type { Db } from '../../server/db/connect.js'
import { testConfig } from './config.js'
import { parseJsonOr } from './json.js'

export interface TestApp {
  app: App
  deps: Deps
  clock: ReturnType<typeof manualClock>
  /** A valid bearer token for a user, minted at the test clock's time. */
  token(userId: string): Promise<string>
  /** JSON request as a user; body is JSON-encoded when given. */
  call(userId: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }>
}

export function makeTestApp(db: Db, opts: { env?: Record<string, string>; log?: Logger; deps?: Partial<DepsParts> } = {}): TestApp {
  const config = testConfig(opts.env ?? {})
  const clock = manualClock(Date.now())
  const deps = buildDeps({ db, config, clock, random: () => 0.5, log: opts.log ?? createLogger({ level: 'silent' }), ...opts.deps })
  const app = createApp(deps)
  const token = (userId: string) => mintToken(config.bridgeSecret, userId, clock.now())
  const call: TestApp['call'] = async (userId, method, path, body) => {
    const headers: Record<string, string> = {}
    if (userId) headers.authorization = `Bearer ${await token(userId)}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    const json = parseJsonOr(text)
    return { status: res.status, json, headers: res.headers }
  }
  return { app, deps, clock, token, call }
}
