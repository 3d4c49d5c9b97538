// Route modules are OpenAPIHono apps, so /openapi.json is generated from the same zod schemas
// that validate requests. Validation failures become one 422 shape through validationError().
import { OpenAPIHono, type z } from '@hono/zod-openapi'
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

/** A JSON response (or body) entry for createRoute. */
export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
