// A ceiling on V8's young generation (where new objects are made), on by default.
//
// Why: under any steady load V8 grows the young generation to its maximum, two halves of 16 MB,
// and keeps it. In the bench the web process reached 149–156 MB at 300 ev/s already, against a
// budget of 150 MB (issue 13), with ~28 MB of the JS heap live. Halves of 8 MB took the same runs
// to 130–136 MB (closed-loop ingest on MariaDB: 1,103 and 1,424 ev/s with the ceiling against
// 1,375 and 1,350 without, alternating on the 2-core bench machine, i.e. within its noise).
//
// How: V8 sizes the young generation from --max-semi-space-size when the process starts, and that
// flag cannot be changed afterwards (checked: setting it at run time does nothing). What it does
// read each time it grows the young generation is --semi-space-growth-factor (2: double). So after
// every collection the size is looked at: at the ceiling, growth is set to 1 (stay); below it, back
// to 2, so a young generation V8 shrank while idle can grow again. Passenger starts the app with
// Node's default flags, hence this. An operator who sets --max-semi-space-size (NODE_OPTIONS or the
// node command line) keeps their choice.
import { PerformanceObserver } from 'node:perf_hooks'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { operatorSet } from './heap-policy.js'

const OPERATOR_FLAGS = /--(max-semi-space-size|max_semi_space_size|semi-space-growth-factor|semi_space_growth_factor)\b/
/** V8's own growth factor for the young generation. */
const V8_GROWTH = 2

/** The growth factor to set for a young generation of `bytes` under a ceiling of `ceilingMb` (both halves). Pure, for tests. */
export function youngGrowthFactor(bytes: number, ceilingMb: number): 1 | 2 {
  return bytes >= ceilingMb * 1024 * 1024 ? 1 : V8_GROWTH
}

/** Whether the ceiling applies: QSM_HEAP_YOUNG_MB above 0 and no operator flag for the young generation. */
export function youngCeilingApplies(ceilingMb: number, execArgv: readonly string[] = [], nodeOptions = ''): boolean {
  return ceilingMb > 0 && !operatorSet(OPERATOR_FLAGS, execArgv, nodeOptions)
}

/** Starts watching this process's young generation; returns a stop function (null when not applied). */
export function capYoungGeneration(ceilingMb: number): (() => void) | null {
  if (!youngCeilingApplies(ceilingMb, process.execArgv, process.env.NODE_OPTIONS ?? '')) return null
  let factor: number = V8_GROWTH
  const check = () => {
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
    if (!young) return
    const want = youngGrowthFactor(young.space_size, ceilingMb)
    if (want === factor) return
    factor = want
    setFlagsFromString(`--semi-space-growth-factor=${want}`)
  }
  // A 'gc' entry follows every collection (a few a second under load; nothing when idle).
  const observer = new PerformanceObserver(check)
  observer.observe({ entryTypes: ['gc'] })
  return () => observer.disconnect()
}
