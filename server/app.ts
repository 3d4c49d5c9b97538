// createApp(deps) builds the whole HTTP app from its dependencies. It opens no sockets: main.ts
// does that, and tests call app.request() directly.
import { cors } from 'hono/cors'
import { secureHeaders } from 'hono/secure-headers'
import { bodyLimit } from 'hono/body-limit'
import { createOnError } from './http/on-error.js'
import { ApiError } from './http/errors.js'
import { WindowCounter, ipRateLimit } from './http/rate-limit.js'
import { newRouter } from './http/openapi.js'
import type { Deps } from './deps.js'
import { healthRoutes, APP_VERSION } from './health/routes.js'
import { webhookRoutes } from './endpoints/routes.js'
import { eventRoutes } from './events/routes.js'
import { deliveryRoutes } from './cron/routes.js'
import { deliveryLogRoutes } from './delivery-log/routes.js'
import { dashboardRoutes } from './dashboard/static.js'

export function createApp(deps: Deps) {
  const app = newRouter()
  const userLimiter = new WindowCounter(deps.config.rateLimitPerUser)
  const perIp = ipRateLimit(deps.config.rateLimitPerIp)
  app.use('*', async (c, next) => {
    c.set('deps', deps)
    c.set('userLimiter', userLimiter)
    await next()
  })
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }))
  app.use(
    '/v1/*',
    cors({
      // Only the configured dashboard origin may call the API from a browser; same-origin use of
      // /dashboard/ needs no CORS at all.
      origin: (origin) => (deps.config.dashboardOrigin && origin === deps.config.dashboardOrigin ? origin : null),
      allowHeaders: ['Authorization', 'Content-Type'],
      allowMethods: ['GET', 'POST', 'PATCH', 'DELETE'],
      maxAge: 600,
    }),
  )

  // The signed bridge ingest is not counted per IP: the mail app sends from one address and its
  // volume is the product working. Dashboard calls are, here and per user in requireUser.
  app.use('/v1/*', async (c, next) => (c.req.path === '/v1/events' ? next() : perIp(c, next)))
  // Dashboard requests are small; refuse big bodies before reading them. The ingest route has its
  // own 64 KB limit with the bridge in mind.
  const dashboardBodyLimit = bodyLimit({
    maxSize: 64 * 1024,
    onError: () => {
      throw new ApiError('payload_too_large', 'The request body is larger than 64 KB')
    },
  })
  app.use('/v1/*', async (c, next) => (c.req.path === '/v1/events' ? next() : dashboardBodyLimit(c, next)))

  app.route('/', healthRoutes())
  app.route('/', webhookRoutes())
  app.route('/', eventRoutes())
  app.route('/', deliveryRoutes())
  app.route('/', deliveryLogRoutes())
  app.route('/', dashboardRoutes())

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
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
