// createApp(deps) builds the whole HTTP app from its dependencies. It opens no sockets: main.ts
// does that, and tests call app.request() directly. Each feature is a sub-app mounted at its own
// prefix; this file only decides the prefixes and the guards in front of them.
import { secureHeaders } from 'hono/secure-headers'
import { limitBody } from './http/body-limit.js'
import { apiCors } from './http/cors.js'
import { createOnError } from './http/on-error.js'
import { ApiError } from './http/errors.js'
import { MAX_BODY_BYTES } from './http/limits.js'
import { WindowCounter, ipRateLimit } from './http/rate-limit.js'
import { newRouter, registerSecuritySchemes } from './http/openapi.js'
import type { Deps } from './deps.js'
import { healthRoutes, APP_VERSION } from './health/routes.js'
import { endpointRoutes } from './endpoints/routes.js'
import { eventTypeRoutes, ingestRoutes } from './events/routes.js'
import { testSendRoutes } from './test-send/routes.js'
import { deliveryLogRoutes } from './delivery-log/routes.js'
import { redeliveryRoutes } from './redelivery/routes.js'
import { cronRoutes } from './cron/routes.js'
import { alertRoutes } from './alerts/routes.js'
import { dashboardRoutes } from './dashboard/static.js'

/** The dashboard's JSON API under /v1: counted per IP (and per user, in requireUser), small bodies only. */
function dashboardApi(deps: Deps) {
  const api = newRouter()
  api.use('*', ipRateLimit(deps.config.rateLimitPerIp))
  // Refuse big bodies before reading them.
  api.use('*', limitBody(MAX_BODY_BYTES, () => {
    throw new ApiError('payload_too_large', `The request body is larger than ${MAX_BODY_BYTES / 1024} KB`)
  }))
  api.route('/webhooks', endpointRoutes())
  api.route('/webhooks', testSendRoutes())
  api.route('/event-types', eventTypeRoutes())
  api.route('/deliveries', deliveryLogRoutes())
  api.route('/deliveries', redeliveryRoutes())
  api.route('/alert-settings', alertRoutes())
  return api
}

export function createApp(deps: Deps) {
  const app = newRouter()
  const userLimiter = new WindowCounter(deps.config.rateLimitPerUser)
  app.use('*', async (c, next) => {
    c.set('deps', deps)
    c.set('userLimiter', userLimiter)
    await next()
  })
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }))
  app.use(
    '/v1/*',
    apiCors({
      // Only the configured dashboard origin may call the API from a browser; same-origin use of
      // /dashboard/ needs no CORS at all.
      origin: (origin) => (deps.config.dashboardOrigin && origin === deps.config.dashboardOrigin ? origin : null),
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      maxAge: 600,
    }),
  )

  app.route('/', healthRoutes())
  // The bridge's ingest is mounted before the dashboard API on purpose: Hono runs handlers in the
  // order they were added, and the ingest handler answers without calling next(), so the dashboard
  // guards (mounted at /v1/*) never run for it. It has its own size limit and is not counted per
  // IP: the mail app sends from one address and its volume is the product working.
  app.route('/v1/events', ingestRoutes())
  app.route('/v1', dashboardApi(deps))
  app.route('/tick', cronRoutes())
  app.route('/', dashboardRoutes())

  registerSecuritySchemes(app)
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'QSM Webhooks API', version: APP_VERSION, description: 'Manage webhook endpoints, ingest QSM events, read delivery logs.' },
  })

  app.notFound(() => {
    throw new ApiError('not_found', 'No such route')
  })
  app.onError(createOnError(deps.log))
  return app
}

export type App = ReturnType<typeof createApp>
