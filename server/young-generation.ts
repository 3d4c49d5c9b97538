// A ceiling on V8's young generation (where new objects are made), on by default, and growth only
// under load.
//
// Why a ceiling: under any steady load V8 grows the young generation to its maximum, two halves of
// 16 MB, and keeps it. In the bench the web process reached 149–156 MB at 300 ev/s already, against
// a budget of 150 MB (issue 13), with ~28 MB of the JS heap live. Halves of 8 MB took the same runs
// to 130–136 MB (closed-loop ingest on MariaDB: 1,103 and 1,424 ev/s with the ceiling against
// 1,375 and 1,350 without, alternating on the 2-core bench machine, i.e. within its noise).
//
// Why only under load: booting (loading the code, migrating) allocates in a burst of ~7
// collections in a quarter of a second, enough for V8 to grow the young generation from 2 to 8 MB,
// and it kept that while idle: idle RSS 81 MB against a target of 80 (bench, 5 December), where
// the same process with 2 MB measured 72. So the young generation keeps its starting size until
// the process has been collecting young garbage steadily for two seconds, as it does under any
// real load, and grows to the ceiling from there.
//
// How: V8 sizes the young generation from --max-semi-space-size when the process starts, and that
// flag cannot be changed afterwards (checked: setting it at run time does nothing). What it does
// read each time it grows the young generation is --semi-space-growth-factor (2: double). So after
// every collection the size is looked at: not busy, or at the ceiling, growth is set to 1 (stay);
// busy and below it, back to 2, so a young generation V8 shrank while idle can grow again.
// Passenger starts the app with Node's default flags, hence this. An operator who sets
// --max-semi-space-size (NODE_OPTIONS or the node command line) keeps their choice.
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { operatorSet } from './heap-policy.js'

const OPERATOR_FLAGS = /--(max-semi-space-size|max_semi_space_size|semi-space-growth-factor|semi_space_growth_factor)\b/
/** V8's own growth factor for the young generation. */
const V8_GROWTH = 2

/** Young collections in each of the last two seconds that mark the process as busy. */
export const BUSY_COLLECTIONS_PER_SECOND = 3

/**
 * Busy: at least BUSY_COLLECTIONS_PER_SECOND young collections in the second before `now` and as
 * many in the second before that (times in ms). Two seconds, so a burst such as booting, however
 * dense, does not count. Pure, for tests.
 */
export function collectingSteadily(times: readonly number[], now: number): boolean {
  let last = 0
  let before = 0
  for (const t of times) {
    if (t > now - 1000 && t <= now) last++
    else if (t > now - 2000 && t <= now - 1000) before++
  }
  return last >= BUSY_COLLECTIONS_PER_SECOND && before >= BUSY_COLLECTIONS_PER_SECOND
}

/**
 * The growth factor to set for a young generation of `bytes` under a ceiling of `ceilingMb` (both
 * halves): V8's own while busy and below the ceiling, else none. Pure, for tests.
 */
export function youngGrowthFactor(bytes: number, ceilingMb: number, busy: boolean): 1 | 2 {
  return busy && bytes < ceilingMb * 1024 * 1024 ? V8_GROWTH : 1
}

/** Whether the ceiling applies: QSM_HEAP_YOUNG_MB above 0 and no operator flag for the young generation. */
export function youngCeilingApplies(ceilingMb: number, execArgv: readonly string[] = [], nodeOptions = ''): boolean {
  return ceilingMb > 0 && !operatorSet(OPERATOR_FLAGS, execArgv, nodeOptions)
}

type GcEntry = PerformanceEntry & { detail?: { kind?: number } }

/** Whether holdYoungGeneration() set the growth to 1 (so a ceiling that does not apply gives V8's back). */
let held = false

/**
 * Stops the young generation from growing, from the first lines of the process on, unless the
 * operator sized it themselves. capYoungGeneration() takes over once the config is read (or gives
 * V8 its own growth back for QSM_HEAP_YOUNG_MB=0).
 */
export function holdYoungGeneration(): void {
  if (operatorSet(OPERATOR_FLAGS, process.execArgv, process.env.NODE_OPTIONS ?? '')) return
  setFlagsFromString('--semi-space-growth-factor=1')
  held = true
}

/** Starts watching this process's young generation; returns a stop function (null when not applied). */
export function capYoungGeneration(ceilingMb: number): (() => void) | null {
  if (!youngCeilingApplies(ceilingMb, process.execArgv, process.env.NODE_OPTIONS ?? '')) {
    if (held) setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH}`)
    held = false
    return null
  }
  // No growth until the process is busy (holdYoungGeneration may have set this already).
  let factor: number = 1
  setFlagsFromString('--semi-space-growth-factor=1')
  held = true
  // Start times (ms since the process's time origin) of the young collections of the last two seconds.
  let young: number[] = []
  const check = (entries: PerformanceEntry[]) => {
    for (const e of entries) {
      if ((e as GcEntry).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) young.push(e.startTime)
    }
    const now = performance.now()
    if (young.length > 0 && young[0]! <= now - 2000) young = young.filter((t) => t > now - 2000)
    const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
    if (!space) return
    const want = youngGrowthFactor(space.space_size, ceilingMb, collectingSteadily(young, now))
    if (want === factor) return
    factor = want
    setFlagsFromString(`--semi-space-growth-factor=${want}`)
  }
  // A 'gc' entry follows every collection (a few a second under load; nothing when idle).
  const observer = new PerformanceObserver((list) => check(list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  return () => observer.disconnect()
}
