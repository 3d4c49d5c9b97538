// The request body limit of every JSON route. The bridge's ingest shares it: 64 KB holds a batch of
// events with room to spare, and refusing larger bodies before reading them keeps memory flat.
export const MAX_BODY_BYTES = 64 * 1024
