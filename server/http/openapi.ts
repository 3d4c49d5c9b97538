// Route modules are OpenAPIHono apps, so /openapi.json is generated from the same zod schemas
// that validate requests. Validation failures become one 422 shape through validationError().
import { OpenAPIHono } from '@hono/zod-openapi'
import { validationError } from './errors.js'
import type { AppEnv } from './context.js'

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error)
    },
  })
}

export const bearerSecurity = [{ bearerAuth: [] }]
