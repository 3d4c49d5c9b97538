// Every QSM_* setting, parsed and validated in one place. Defaults are chosen for shared hosting:
// few connections, short timeouts, a tick that finishes well inside a cron job's limits.
import { z } from 'zod'
import { parseDuration } from './duration.js'

const boolText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v))

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }))

const duration = (minMs: number, maxMs: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text)
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (use e.g. 30s, 5m, 2h)` })
      return z.NEVER
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be between ${minMs / 1000}s and ${maxMs / 1000}s` })
      return z.NEVER
    }
    return ms
  })

const retrySchedule = z.string().transform((text, ctx) => {
  const parts = text.split(',').map((p) => p.trim())
  const steps: number[] = []
  for (const part of parts) {
    const ms = parseDuration(part)
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a duration (use e.g. 1m,5m,30m,2h)` })
      return z.NEVER
    }
    steps.push(ms)
  }
  return steps
})

/** A base64 or hex key of at least 32 bytes. */
const key32 = (name: string) =>
  z.string().transform((text, ctx) => {
    const raw = text.startsWith('base64:') ? Buffer.from(text.slice(7), 'base64') : Buffer.from(text, 'utf8')
    if (raw.length < 32) {
      ctx.addIssue({ code: 'custom', message: `${name} is too short: it needs at least 32 bytes of randomness (run \`npx qsm-webhooks init\` or delete .env to get a fresh one)` })
      return z.NEVER
    }
    return text
  })

export const envSchema = z.object({
  QSM_DATABASE_URL: z
    .string()
    .default('sqlite:./data/qsm-webhooks.db')
    .refine((v) => /^(sqlite:|mysql:\/\/|mariadb:\/\/)/.test(v), { message: 'must start with sqlite: or mysql://' }),
  QSM_APP_KEY: key32('QSM_APP_KEY'),
  QSM_BRIDGE_SECRET: key32('QSM_BRIDGE_SECRET'),
  QSM_CRON_TOKEN: z.string().min(24, { message: 'must be at least 24 characters' }),
  QSM_RETRY_SCHEDULE: retrySchedule.default([60_000, 300_000, 1_800_000, 7_200_000]),
  QSM_MAX_ATTEMPTS: int(1, 50).optional(),
  QSM_LOG_RETENTION_DAYS: int(1, 3650).default(30),
  QSM_PAYLOAD_RETENTION_HOURS: int(1, 24 * 90).default(72),
  QSM_SIGNATURE_TOLERANCE_SECONDS: int(30, 3600).default(300),
  QSM_DELIVERY_TIMEOUT_MS: duration(500, 60_000).default(10_000),
  QSM_CONCURRENCY: int(1, 256).default(4),
  QSM_USER_CONCURRENCY: int(1, 256).default(2),
  QSM_ENDPOINT_CONCURRENCY: int(1, 256).default(1),
  QSM_DNS_SERVERS: z
    .string()
    .default('')
    .refine((v) => v.split(',').every((s) => s.trim() === '' || /^[0-9a-fA-F.:[\]]+$/.test(s.trim())), { message: 'must be a comma-separated list of IP addresses (optionally with :port)' }),
  QSM_TICK_BUDGET_SECONDS: int(1, 600).default(20),
  QSM_ROTATION_GRACE: duration(0, 7 * 86_400_000).default(86_400_000),
  QSM_DISABLE_AFTER: duration(3_600_000, 30 * 86_400_000).default(3 * 86_400_000),
  QSM_MAX_ENDPOINTS_PER_USER: int(1, 1000).default(20),
  QSM_HEAP_GROWTH_PERCENT: int(0, 300).default(75),
  QSM_HEAP_YOUNG_MB: int(0, 256).default(16),
  QSM_FAILING_AFTER_FAILURES: int(1, 1000).default(3),
  QSM_FAILING_AFTER: duration(60_000, 86_400_000).default(15 * 60_000),
  QSM_SMTP_URL: z
    .string()
    .default('')
    .refine((v) => v === '' || /^smtps?:\/\/[^/\s]+/.test(v), { message: 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@localhost:587' }),
  QSM_ALERT_FROM: z.string().max(320).default(''),
  QSM_ALLOW_PRIVATE_TARGETS: boolText.default(false),
  QSM_WEB_DELIVERY: boolText.default(true),
  QSM_RATE_LIMIT_PER_USER: int(1, 1_000_000).default(300),
  QSM_RATE_LIMIT_PER_IP: int(1, 1_000_000).default(600),
  QSM_DASHBOARD_ORIGIN: z.string().default(''),
  QSM_PUBLIC_URL: z.string().default(''),
  QSM_DASHBOARD_URL: z.string().default(''),
  QSM_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
})

type Parsed = z.output<typeof envSchema>

export interface Config {
  databaseUrl: string
  appKey: string
  bridgeSecret: string
  cronToken: string
  retryScheduleMs: number[]
  /** First attempt plus one retry per schedule step, unless QSM_MAX_ATTEMPTS says otherwise. */
  maxAttempts: number
  logRetentionDays: number
  payloadRetentionHours: number
  signatureToleranceSeconds: number
  deliveryTimeoutMs: number
  concurrency: number
  userConcurrency: number
  /** Sends in flight per endpoint per process (never more than userConcurrency in effect). */
  endpointConcurrency: number
  /** DNS servers to ask instead of /etc/resolv.conf's (empty: the system's). */
  dnsServers: string[]
  tickBudgetSeconds: number
  rotationGraceMs: number
  disableAfterMs: number
  maxEndpointsPerUser: number
  /** An endpoint counts as failing after this many failed attempts in a row… */
  failingAfterFailures: number
  /** …or when its failures have gone on this long (server/delivery/health-state.ts). */
  failingAfterMs: number
  /** Empty: owner alerts are off. Holds a password: never log or show it whole. */
  smtpUrl: string
  alertFrom: string
  allowPrivateTargets: boolean
  /**
   * False: the web process stores events and answers, and sends nothing itself (no delivery loop,
   * no hand-off); a `worker` process or `/tick` sends. For servers where delivery has cores of its own.
   */
  webDelivery: boolean
  /** Dashboard API requests per minute per signed-in user, and per client address. */
  rateLimitPerUser: number
  rateLimitPerIp: number
  dashboardOrigin: string
  publicUrl: string
  /** False when publicUrl is only the localhost guess (QSM_PUBLIC_URL not set). */
  publicUrlSet: boolean
  dashboardUrl: string
  logLevel: Parsed['QSM_LOG_LEVEL']
  /** V8's heap growth past the live heap, in percent; 0 = V8's own policy (server/heap-policy.ts). */
  heapGrowthPercent: number
  /** Ceiling on V8's young generation, both halves, in MB; 0 = V8's own (server/young-generation.ts). */
  heapYoungMb: number
  port: number
  host: string
}

const hostOf = (url: string) => {
  try {
    return new URL(url).hostname || 'localhost'
  } catch {
    return 'localhost'
  }
}

export function toConfig(p: Parsed): Config {
  const publicUrl = (p.QSM_PUBLIC_URL || `http://localhost:${p.PORT}`).replace(/\/+$/, '')
  return {
    databaseUrl: p.QSM_DATABASE_URL,
    appKey: p.QSM_APP_KEY,
    bridgeSecret: p.QSM_BRIDGE_SECRET,
    cronToken: p.QSM_CRON_TOKEN,
    retryScheduleMs: p.QSM_RETRY_SCHEDULE,
    maxAttempts: p.QSM_MAX_ATTEMPTS ?? p.QSM_RETRY_SCHEDULE.length + 1,
    logRetentionDays: p.QSM_LOG_RETENTION_DAYS,
    payloadRetentionHours: p.QSM_PAYLOAD_RETENTION_HOURS,
    signatureToleranceSeconds: p.QSM_SIGNATURE_TOLERANCE_SECONDS,
    deliveryTimeoutMs: p.QSM_DELIVERY_TIMEOUT_MS,
    concurrency: p.QSM_CONCURRENCY,
    userConcurrency: p.QSM_USER_CONCURRENCY,
    endpointConcurrency: p.QSM_ENDPOINT_CONCURRENCY,
    dnsServers: p.QSM_DNS_SERVERS.split(',').map((s) => s.trim()).filter(Boolean),
    tickBudgetSeconds: p.QSM_TICK_BUDGET_SECONDS,
    rotationGraceMs: p.QSM_ROTATION_GRACE,
    disableAfterMs: p.QSM_DISABLE_AFTER,
    maxEndpointsPerUser: p.QSM_MAX_ENDPOINTS_PER_USER,
    failingAfterFailures: p.QSM_FAILING_AFTER_FAILURES,
    failingAfterMs: p.QSM_FAILING_AFTER,
    smtpUrl: p.QSM_SMTP_URL,
    alertFrom: p.QSM_ALERT_FROM || `QSM Webhooks <webhooks@${hostOf(publicUrl)}>`,
    allowPrivateTargets: p.QSM_ALLOW_PRIVATE_TARGETS,
    webDelivery: p.QSM_WEB_DELIVERY,
    rateLimitPerUser: p.QSM_RATE_LIMIT_PER_USER,
    rateLimitPerIp: p.QSM_RATE_LIMIT_PER_IP,
    dashboardOrigin: p.QSM_DASHBOARD_ORIGIN,
    publicUrl,
    publicUrlSet: p.QSM_PUBLIC_URL !== '',
    dashboardUrl: (p.QSM_DASHBOARD_URL || `${publicUrl}/dashboard/`),
    logLevel: p.QSM_LOG_LEVEL,
    heapGrowthPercent: p.QSM_HEAP_GROWTH_PERCENT,
    heapYoungMb: p.QSM_HEAP_YOUNG_MB,
    port: p.PORT,
    host: p.HOST,
  }
}
