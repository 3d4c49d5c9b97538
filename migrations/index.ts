// The list of migrations, imported statically so the bundled dist/ carries them (a file scan
// would not survive bundling). Names sort by date; add new ones at the end, never edit old ones.
import type { Migration } from 'kysely'
import * as createEndpoints from './2026_11_28_000100_create_endpoints.js'
import * as createEvents from './2026_11_28_000200_create_events.js'
import * as createDeliveries from './2026_11_28_000300_create_deliveries.js'
import * as createDeliveryAttempts from './2026_11_28_000400_create_delivery_attempts.js'
import * as binaryCollation from './2026_11_28_000500_binary_collation.js'
import * as noPadUserIds from './2026_12_01_000100_nopad_user_ids.js'
import * as endpointLimits from './2026_12_02_000100_endpoint_limits.js'
import * as endpointHealth from './2026_12_02_000200_endpoint_health.js'
import * as deliveryDetails from './2026_12_02_000300_delivery_details.js'
import * as dueByEndpoint from './2026_12_03_000100_due_by_endpoint.js'
import * as dropClaimIndex from './2026_12_05_000100_drop_claim_index.js'

export const migrations: Record<string, Migration> = {
  '2026_11_28_000100_create_endpoints': createEndpoints,
  '2026_11_28_000200_create_events': createEvents,
  '2026_11_28_000300_create_deliveries': createDeliveries,
  '2026_11_28_000400_create_delivery_attempts': createDeliveryAttempts,
  '2026_11_28_000500_binary_collation': binaryCollation,
  '2026_12_01_000100_nopad_user_ids': noPadUserIds,
  '2026_12_02_000100_endpoint_limits': endpointLimits,
  '2026_12_02_000200_endpoint_health': endpointHealth,
  '2026_12_02_000300_delivery_details': deliveryDetails,
  '2026_12_03_000100_due_by_endpoint': dueByEndpoint,
  '2026_12_05_000100_drop_claim_index': dropClaimIndex,
}
