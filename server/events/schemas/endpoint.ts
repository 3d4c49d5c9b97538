// Data of the operational events endpoint.failing, endpoint.disabled and endpoint.recovered: QSM
// Webhooks itself sends them (never the mail app) when one of the user's endpoints changes health,
// to the user's other endpoints that subscribe. The endpoint is named by id, description and host
// only: its full URL may carry a token in the path or query.
import { z } from 'zod'
import { isoTime } from './shared.js'

const EndpointRef = z.strictObject({
  id: z.string().min(1).max(40),
  description: z.string().max(500),
  url_host: z.string().max(255),
  dashboard_url: z.string().max(2100),
})

const lastError = z.string().max(300).nullable()

export const EndpointFailing = z.strictObject({
  endpoint: EndpointRef,
  failing_since: isoTime,
  consecutive_failures: z.number().int().min(1),
  last_error: lastError,
})

export const EndpointDisabled = z.strictObject({
  endpoint: EndpointRef,
  disabled_at: isoTime,
  disabled_by: z.enum(['gone', 'failure_period']),
  reason: z.string().max(300),
  last_error: lastError,
})

export const EndpointRecovered = z.strictObject({
  endpoint: EndpointRef,
  recovered_at: isoTime,
  /** When the trouble began (the failure streak), when known. */
  failing_since: isoTime.nullable(),
})
