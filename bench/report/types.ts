// The shape of one bench result file (bench/results/<date>.json).
import type { Machine } from '../lib/machine.js'
import type { Baselines, RawDb } from '../scenarios/baselines.js'
import type { ServiceResult } from '../scenarios/service.js'
import type { BullResult } from '../scenarios/bullmq.js'
import type { DashboardSize } from '../scenarios/dashboard.js'
import type { Mem } from '../lib/rss.js'

export interface BenchResult {
  command: string
  profile: string
  startedAt: string
  finishedAt: string
  machine: Machine
  serviceBuild: string
  serviceEnv: Record<string, string>
  baselines: Partial<Baselines> & { db: Partial<Record<'sqlite' | 'mysql', RawDb>> }
  service: Partial<Record<'sqlite' | 'mysql', ServiceResult>>
  bullmq: BullResult[]
  dashboard: DashboardSize | { note: string }
  /** The shared MariaDB server's RSS at start (it also serves other work on this machine). */
  mariadbRss: Mem | null
  /** fsync rate again at the end: a busy disk (other work) shows as a drop. */
  fsyncAtEnd?: number
  /** Issue 12: normal users' event→delivered with and without a user whose endpoints hang. */
  noisyNeighbour?: import('../scenarios/noisy-neighbour.js').NoisyResult[]
  errors: string[]
}
