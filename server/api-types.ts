// The JSON the dashboard reads and sends, as TypeScript types inferred from the API's zod schemas.
// dashboard/src imports these in JSDoc (`@typedef {import('../../server/api-types.js').Endpoint}`)
// and `npm run typecheck` checks it with tsc --checkJs, so renaming a field in a schema fails the
// typecheck naming the dashboard file that still reads the old name, instead of breaking the page.
import type { z } from '@hono/zod-openapi'
import type { CreateEndpointBody, Endpoint as EndpointSchema, EndpointPage as EndpointPageSchema, EndpointWithSecret as EndpointWithSecretSchema, RotateResult as RotateResultSchema, SecretReveal as SecretRevealSchema, UpdateEndpointBody } from './endpoints/schemas.js'
import type { Delivery as DeliverySchema, DeliveryDetail as DeliveryDetailSchema, DeliveryPage as DeliveryPageSchema, ListQuery as DeliveryListQuerySchema, ReplayBody, ReplayResult as ReplayResultSchema } from './delivery-log/schemas.js'
import type { TestSendResultSchema } from './test-send/route-defs.js'
import type { CatalogueList } from './events/route-defs.js'
import type { ErrorCode } from './http/errors.js'

export type Endpoint = z.infer<typeof EndpointSchema>
export type EndpointWithSecret = z.infer<typeof EndpointWithSecretSchema>
export type EndpointPage = z.infer<typeof EndpointPageSchema>
export type SecretReveal = z.infer<typeof SecretRevealSchema>
export type RotateResult = z.infer<typeof RotateResultSchema>
/** Request bodies: what the client may send (z.input, so optional fields stay optional). */
export type CreateEndpointRequest = z.input<typeof CreateEndpointBody>
export type UpdateEndpointRequest = z.input<typeof UpdateEndpointBody>

export type Delivery = z.infer<typeof DeliverySchema>
export type DeliveryDetail = z.infer<typeof DeliveryDetailSchema>
export type DeliveryAttempt = DeliveryDetail['attempts_log'][number]
export type DeliveryPage = z.infer<typeof DeliveryPageSchema>
export type DeliveryFilters = z.input<typeof DeliveryListQuerySchema>
export type ReplayRequest = z.input<typeof ReplayBody>
export type ReplayResult = z.infer<typeof ReplayResultSchema>
/** POST /v1/deliveries/{id}/retry (server/redelivery/routes.ts). */
export type RetryResult = { delivery: Delivery }

export type TestSendResult = z.infer<typeof TestSendResultSchema>
export type EventCatalogue = z.infer<typeof CatalogueList>
export type EventTypeInfo = EventCatalogue['data'][number]

export type { ErrorCode }
