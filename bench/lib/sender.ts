// The send code the BullMQ comparison uses: the service's own createUndiciSender when it is built,
// so both systems send with identical code; until then, a minimal undici Pool sender with the same
// shape (the same code as the B-send baseline). The report says which one ran.
import { Pool } from 'undici'
import { createUndiciSender } from '../../server/delivery/sender.js'
import type { Sender, SendRequest, SendResult } from '../../server/delivery/types.js'
import { nowMs } from './stats.js'

export async function benchSender(probeUrl: string, concurrency: number): Promise<{ sender: Sender; which: string }> {
  const real = createUndiciSender({ allowPrivateTargets: true, concurrency })
  try {
    await real.send({ url: probeUrl, headers: {}, body: '{}', timeoutMs: 5000 })
    return { sender: real, which: 'server/delivery/sender.ts createUndiciSender' }
  } catch {
    await real.close().catch(() => {})
    return { sender: poolSender(), which: 'bench undici Pool sender (createUndiciSender not built yet)' }
  }
}

function poolSender(): Sender {
  const pools = new Map<string, Pool>()
  return {
    async send(req: SendRequest): Promise<SendResult> {
      const u = new URL(req.url)
      let pool = pools.get(u.origin)
      if (!pool) pools.set(u.origin, (pool = new Pool(u.origin, { connections: 64, keepAliveTimeout: 60_000 })))
      const t = nowMs()
      try {
        const res = await pool.request({ method: 'POST', path: u.pathname, headers: req.headers, body: req.body, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs })
        await res.body.dump()
        const ok = res.statusCode >= 200 && res.statusCode < 300
        return { ok, statusCode: res.statusCode, durationMs: nowMs() - t, errorClass: ok ? null : 'http_error', error: ok ? null : `HTTP ${res.statusCode}`, retryAfterMs: null, responseExcerpt: '' }
      } catch (err) {
        return { ok: false, statusCode: null, durationMs: nowMs() - t, errorClass: 'error', error: (err as Error).message, retryAfterMs: null, responseExcerpt: '' }
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()))
    },
  }
}
