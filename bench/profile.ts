// How long and how big each part of a run is. Full: the figures we publish (about 8 minutes).
// Quick: a CI smoke test of the whole pipeline in about a minute and a half, no thresholds.
export interface Profile {
  name: 'full' | 'quick'
  warmupMs: number
  closedMs: number
  closedConnections: number
  openMs: number
  openRate: number
  lowRate: number
  lowMs: number
  rawDbMs: number
  claimBacklog: number
  sendMs: number
  drainDeliveries: number
  tickDeliveries: number
  /** Longest wait for a backlog to drain after load stops, before the ledger is read. */
  settleMs: number
  bullmq: boolean
  /** The durable-Redis BullMQ run (AOF, fsync always); skipped in quick mode to stay under 90 s. */
  bullmqDurable: boolean
  /** How long a freshly started process sits idle before its idle RSS is read. */
  idleWaitMs: number
  /** Run the group-commit ingest prototype (evidence for Findings). */
  prototype: boolean
}

export const FULL: Profile = {
  name: 'full',
  warmupMs: 2000,
  closedMs: 10_000,
  closedConnections: 64,
  openMs: 12_000,
  openRate: 1000,
  lowRate: 300,
  lowMs: 10_000,
  rawDbMs: 3000,
  claimBacklog: 30_000,
  sendMs: 6000,
  drainDeliveries: 30_000,
  tickDeliveries: 100_000,
  settleMs: 60_000,
  bullmq: true,
  bullmqDurable: true,
  idleWaitMs: 3000,
  prototype: true,
}

export const QUICK: Profile = {
  name: 'quick',
  warmupMs: 300,
  closedMs: 1500,
  closedConnections: 64,
  openMs: 1500,
  openRate: 1000,
  lowRate: 300,
  lowMs: 1500,
  rawDbMs: 700,
  claimBacklog: 3000,
  sendMs: 1500,
  drainDeliveries: 3000,
  tickDeliveries: 3000,
  settleMs: 8000,
  bullmq: true,
  bullmqDurable: false,
  idleWaitMs: 1500,
  prototype: false,
}
