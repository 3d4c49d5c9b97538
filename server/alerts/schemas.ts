// Shapes of GET/PUT /v1/alert-settings. Messages follow "<field>: " like the endpoint API's.
import { z } from '@hono/zod-openapi'
import { isEmailAddress } from '../auth/token.js'

const email = z
  .string({ error: 'must be an e-mail address or null' })
  .trim()
  .max(254, { error: 'must be at most 254 characters' })
  .refine(isEmailAddress, { error: 'must be an e-mail address, e.g. you@example.com' })
  .nullable()
  .openapi({ example: 'owner@example.com', description: 'Where alerts go; null for none' })

export const AlertSettingsBody = z
  .object({
    email,
    enabled: z.boolean({ error: 'must be true or false' }),
  }, { error: 'the request body must be a JSON object' })
  .strict()
  .superRefine((value, ctx) => {
    if (value.enabled && value.email === null) ctx.addIssue({ code: 'custom', path: ['email'], message: 'is required while alerts are on (or set enabled to false)' })
  })
  .openapi('AlertSettingsRequest')

export const AlertSettings = z
  .object({
    email: z.string().nullable(),
    enabled: z.boolean(),
    source: z.enum(['token', 'user']).nullable().openapi({ description: 'token: the address came with the sign-in link; user: set here; null: none yet' }),
    smtp_configured: z.boolean().openapi({ description: 'false: the server has no QSM_SMTP_URL, so no e-mail is sent whatever is set here' }),
  })
  .openapi('AlertSettings')
