// How far V8 lets the heap grow past what is live before its next full collection.
//
// Why: under load the service allocates fast (request bodies, SQL text, JSON) but keeps little:
// a heap snapshot of the web process at 1,000 ev/s, RSS 240 MB, held 42 MB live. V8 sets the next
// full collection at up to 4 × the live heap when it collects faster than the program allocates,
// so the old space filled to ~165 MB of mostly garbage before it was collected. Loaded RSS was
// 257–273 MB against a budget of 150 (issue 13). A growth of 50 % over live (V8's own flag,
// --heap-growing-percent) took the same closed-loop ingest to 159–161 MB, at 0–15 % fewer events
// per second (bench/README.md, run G: the alternating pairs and what they cost). It is set here, at start, because Passenger
// starts the app with Node's default flags and shared hosts rarely let a user pass V8 flags.
//
// Why 75 and not 50 (since 5 December): the slowest 1 % of ingest answers at an offered 1,000
// ev/s came in a few bunches, each at a full collection (its pause, then the requests that queued
// behind it). With more room between full collections there are fewer of them: MariaDB, web
// process warmed by the closed loop, alternating runs, ingest p99 26.9, 22.7, 30.0, 27.1, 30.8 ms
// at 50 % against 22.3, 17.9, 22.0 at 75 % (20.3, 15.9, 21.5 at 100 %). The closed loop's peak RSS
// went from ~128 to 136–138 MB (100 %: 144), under the 150 MB budget with room for the bench's other
// phases; events per second did not change beyond the machine's noise.
//
// --heap-growing-percent is read by V8 each time it sets the next limit, so setting it after start
// takes effect from the next full collection (Node's docs warn that not every flag does; this one
// was checked by measurement, above). Node accepts only some V8 flags in NODE_OPTIONS
// (--max-old-space-size yes, --heap-growing-percent no), hence this setting. An operator who caps
// the heap themselves (NODE_OPTIONS, or flags on the node command line) keeps their choice.
import { setFlagsFromString } from 'node:v8'

/** The flags this policy gives way to when the operator has set them. */
const OPERATOR_FLAGS = /--(heap-growing-percent|heap_growing_percent|max-old-space-size|max_old_space_size)\b/

export interface HeapPolicyInput {
  /** QSM_HEAP_GROWTH_PERCENT; 0 leaves V8's own policy. */
  percent: number
  execArgv?: readonly string[]
  nodeOptions?: string
}

/** Whether the operator set one of `flags` in NODE_OPTIONS or on the node command line (their choice wins). */
export function operatorSet(flags: RegExp, execArgv: readonly string[], nodeOptions: string): boolean {
  return flags.test(nodeOptions) || execArgv.some((a) => flags.test(a))
}

/** The V8 flag to set, or null when there is nothing to set. Pure, for tests. */
export function heapFlag({ percent, execArgv = [], nodeOptions = '' }: HeapPolicyInput): string | null {
  if (percent <= 0) return null
  if (operatorSet(OPERATOR_FLAGS, execArgv, nodeOptions)) return null
  return `--heap-growing-percent=${Math.round(percent)}`
}

/** Applies the policy to this process; returns the flag set, if any. */
export function applyHeapPolicy(percent: number, set: (flag: string) => void = setFlagsFromString): string | null {
  const flag = heapFlag({ percent, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS ?? '' })
  if (flag) set(flag)
  return flag
}
