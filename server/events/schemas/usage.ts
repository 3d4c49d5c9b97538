// Data of usage.threshold_reached: sent once per threshold per billing period.
import { z } from 'zod'
import { Scope, Usage } from './shared.js'

export const UsageThresholdReached = z.strictObject({
  scope: Scope,
  plan: z.string().min(1).max(64),
  threshold_percent: z.number().int().min(1).max(1000),
  usage: Usage,
})
