// Data of webhook.test: sent only by the dashboard's test button, never by the mail app.
import { z } from 'zod'

export const WebhookTest = z.strictObject({
  endpoint_id: z.string().min(1).max(40),
  note: z.string().max(200),
})
