// An in-process version per endpoint, bumped by every endpoint write in this process (create,
// update, pause, delete, secret change, system disable). The delivery engine notes the version when it
// reads an endpoint for a claim batch and compares it right before each request: a bump means
// "read the row again", so a change made here reaches the very next send. Writes made by another
// process are caught by the engine's periodic re-read instead (server/delivery/endpoint-guard.ts).

const versions = new Map<string, number>()
/** Every endpoint write in this process, counted: a cache of many endpoints compares it (delivery/enqueue.ts). */
let writes = 0
/** Bounded: old entries only ever cause one extra re-read, so the map is simply cleared when full. */
const MAX_ENTRIES = 100_000

export function endpointVersion(id: string): number {
  return versions.get(id) ?? 0
}

/** Changes whenever any endpoint is created or written in this process. */
export function endpointWrites(): number {
  return writes
}

export function bumpEndpoint(...ids: string[]): void {
  writes += 1
  if (versions.size > MAX_ENTRIES) versions.clear()
  // Never back to a value a reader may have noted: after a clear, versions restart above it.
  for (const id of ids) versions.set(id, (versions.get(id) ?? Date.now()) + 1)
}
