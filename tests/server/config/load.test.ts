import { describe, expect, it } from 'vitest'
import { loadConfig, ConfigError, parseDotEnv } from '../../../server/config/load.js'
import { parseDuration } from '../../../server/config/duration.js'
import { TEST_SECRETS } from '../../helpers/config.js'

function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...TEST_SECRETS, ...env })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('config defaults', () => {
  it('applies the shared-hosting defaults when only the secrets are set', () => {
    const c = loadConfig(TEST_SECRETS)
    expect(c.databaseUrl).toBe('sqlite:./data/qsm-webhooks.db')
    expect(c.retryScheduleMs).toEqual([60_000, 300_000, 1_800_000, 7_200_000])
    expect(c.maxAttempts).toBe(5)
    expect(c.logRetentionDays).toBe(30)
    expect(c.payloadRetentionHours).toBe(72)
    expect(c.signatureToleranceSeconds).toBe(300)
    expect(c.deliveryTimeoutMs).toBe(10_000)
    expect(c.concurrency).toBe(4)
    expect(c.userConcurrency).toBe(2)
    expect(c.tickBudgetSeconds).toBe(20)
    expect(c.allowPrivateTargets).toBe(false)
    expect(c.webDelivery).toBe(true)
    expect(c.dashboardOrigin).toBe('')
    expect(c.port).toBe(3000)
    expect(c.dashboardUrl).toBe('http://localhost:3000/dashboard/')
  })

  it('reads durations in seconds, minutes and hours', () => {
    const c = loadConfig({ ...TEST_SECRETS, QSM_RETRY_SCHEDULE: '30s, 5m,2h', QSM_DELIVERY_TIMEOUT_MS: '5s' })
    expect(c.retryScheduleMs).toEqual([30_000, 300_000, 7_200_000])
    expect(c.maxAttempts).toBe(4)
    expect(c.deliveryTimeoutMs).toBe(5_000)
  })

  it('lets QSM_MAX_ATTEMPTS stop before the schedule ends', () => {
    expect(loadConfig({ ...TEST_SECRETS, QSM_MAX_ATTEMPTS: '2' }).maxAttempts).toBe(2)
  })

  it('treats an empty value as "use the default"', () => {
    expect(loadConfig({ ...TEST_SECRETS, QSM_LOG_RETENTION_DAYS: '' }).logRetentionDays).toBe(30)
  })

  it('parses .env lines with comments and quotes', () => {
    expect(parseDotEnv('# c\nA=1\nexport B="two words"\n\nC=\'x\'')).toEqual({ A: '1', B: 'two words', C: 'x' })
    // Node's parser: an unquoted # starts a comment, a quoted one is part of the value.
    expect(parseDotEnv('D=a # note\nE="a#b"\r\nF = spaced ')).toEqual({ D: 'a', E: 'a#b', F: 'spaced' })
  })

  it('parses plain milliseconds as a duration', () => {
    expect(parseDuration('1500')).toBe(1500)
    expect(parseDuration('banana')).toBeNull()
  })
})

describe('config refusals name the variable and the problem', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['a retry step that is not a duration', { QSM_RETRY_SCHEDULE: '5m,banana' }, /^QSM_RETRY_SCHEDULE "banana" is not a duration/],
    ['zero attempts', { QSM_MAX_ATTEMPTS: '0' }, /^QSM_MAX_ATTEMPTS must be at least 1/],
    ['a non-number attempt count', { QSM_MAX_ATTEMPTS: 'five' }, /^QSM_MAX_ATTEMPTS must be a whole number/],
    ['a short app key', { QSM_APP_KEY: 'short' }, /^QSM_APP_KEY is too short/],
    ['a short bridge secret', { QSM_BRIDGE_SECRET: 'base64:' + Buffer.alloc(8).toString('base64') }, /^QSM_BRIDGE_SECRET is too short/],
    ['a short cron token', { QSM_CRON_TOKEN: 'abc' }, /^QSM_CRON_TOKEN must be at least 24 characters/],
    ['an unknown database', { QSM_DATABASE_URL: 'postgres://x' }, /^QSM_DATABASE_URL must start with sqlite: or mysql:\/\//],
    ['a tolerance below 30 s', { QSM_SIGNATURE_TOLERANCE_SECONDS: '5' }, /^QSM_SIGNATURE_TOLERANCE_SECONDS must be at least 30/],
    ['a timeout that is not a duration', { QSM_DELIVERY_TIMEOUT_MS: 'soon' }, /^QSM_DELIVERY_TIMEOUT_MS "soon" is not a duration/],
    ['a too long timeout', { QSM_DELIVERY_TIMEOUT_MS: '5m' }, /^QSM_DELIVERY_TIMEOUT_MS must be between 0.5s and 60s/],
    ['zero concurrency', { QSM_CONCURRENCY: '0' }, /^QSM_CONCURRENCY must be at least 1/],
    ['zero per-user concurrency', { QSM_USER_CONCURRENCY: '0' }, /^QSM_USER_CONCURRENCY must be at least 1/],
    ['zero log retention', { QSM_LOG_RETENTION_DAYS: '0' }, /^QSM_LOG_RETENTION_DAYS must be at least 1/],
    ['zero payload retention', { QSM_PAYLOAD_RETENTION_HOURS: '0' }, /^QSM_PAYLOAD_RETENTION_HOURS must be at least 1/],
    ['zero tick budget', { QSM_TICK_BUDGET_SECONDS: '0' }, /^QSM_TICK_BUDGET_SECONDS must be at least 1/],
    ['a yes/no flag that is neither', { QSM_ALLOW_PRIVATE_TARGETS: 'maybe' }, /^QSM_ALLOW_PRIVATE_TARGETS must be true or false/],
    ['web delivery neither on nor off', { QSM_WEB_DELIVERY: 'sometimes' }, /^QSM_WEB_DELIVERY must be true or false/],
    ['a port out of range', { PORT: '70000' }, /^PORT must be at most 65535/],
  ]
  for (const [what, env, pattern] of cases) {
    it(`refuses ${what}`, () => {
      const problems = problemsFor(env)
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(pattern)
    })
  }

  it('reports a missing secret as required', () => {
    expect(() => loadConfig({ QSM_BRIDGE_SECRET: TEST_SECRETS.QSM_BRIDGE_SECRET, QSM_CRON_TOKEN: TEST_SECRETS.QSM_CRON_TOKEN })).toThrow(/QSM_APP_KEY is required/)
  })

  it('reports every bad variable at once', () => {
    const problems = problemsFor({ QSM_MAX_ATTEMPTS: '0', QSM_CONCURRENCY: 'x' })
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['QSM_CONCURRENCY', 'QSM_MAX_ATTEMPTS'])
  })
})

describe('.env.example', () => {
  it('documents every setting the server reads', async () => {
    const { readFileSync } = await import('node:fs')
    const { envSchema } = await import('../../../server/config/schema.js')
    const example = readFileSync('.env.example', 'utf8')
    const missing = Object.keys(envSchema.shape).filter((k) => k !== 'HOST' && !new RegExp(`^#? ?${k}=`, 'm').test(example))
    expect(missing).toEqual([])
  })
})
