// Outbound HTTP with undici. (Being built: SSRF checks at connect time, capped reads, no redirects.)
import type { Sender } from './types.js'

export function createUndiciSender(_opts: { allowPrivateTargets: boolean; concurrency: number }): Sender {
  return {
    async send() {
      throw new Error('sender not built yet')
    },
    async close() {},
  }
}
