// Runs the generator process against a URL and returns its result line.
import { join } from 'node:path'
import { spawnTs } from './proc.js'
import type { Summary } from './stats.js'
import { TEST_SECRETS } from '../../tests/helpers/config.js'

export interface LoadResult {
  mode: 'closed' | 'open'
  sent: number
  accepted: number
  errors: Record<string, number>
  windowMs: number
  /** First request to last answer, warm-up included (absent in results before 5 December). */
  elapsedMs?: number
  rate: number
  latency: Summary | null
  sendLag: Summary | null
  maxInFlight: number
  /** Open loop only: when the generator stopped because too many requests were outstanding. */
  saturatedAtMs?: number | null
  unsent?: number
  idsFile?: string
}

export interface LoadSpec {
  url: string
  mode: 'closed' | 'open'
  connections?: number
  rate?: number
  durationMs: number
  warmupMs: number
  /** Where to write accepted ids and t0s (for event→delivered latency). */
  idsDir?: string
}

let n = 0
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const idsFile = spec.idsDir ? join(spec.idsDir, `ids-${process.pid}-${++n}.json`) : undefined
  const child = spawnTs('bench/procs/generator.ts', {
    url: spec.url,
    mode: spec.mode,
    // Open loop: enough connections that the client never queues; lateness would still show in t0.
    connections: spec.connections ?? (spec.mode === 'open' ? 256 : 64),
    rate: spec.rate,
    durationMs: spec.durationMs,
    warmupMs: spec.warmupMs,
    bridgeSecret: TEST_SECRETS.QSM_BRIDGE_SECRET,
    idsFile,
  })
  const res = await child.next((m) => (m.done ? (m as LoadResult) : undefined), spec.durationMs + 60_000)
  await child.stop()
  return { ...res, idsFile }
}
