// One /tick (or `qsm-webhooks tick`): send what is due within the tick budget, then purge what is
// past retention. Two ticks at the same time are safe: claims are leases, each row goes to one.
import { purgeExpired, type PurgeSummary } from './purge.js'
import { newOwnerId, runDue, type RunSummary } from './runner.js'
import type { EngineDeps } from './types.js'
import { purgeKeys } from '../idempotency/store.js'
import { autocommitWrites } from '../db/write-first.js'

/** /tick's answer (route-defs.ts TickSummarySchema): a tick never has handed-off jobs, so no such field. */
export interface TickSummary extends Omit<RunSummary, 'handedOff'> {
  purged: PurgeSummary
}

export async function runTick(deps: EngineDeps, opts: { leaseMs?: number } = {}): Promise<TickSummary> {
  const { handedOff: _none, ...run } = await runDue(deps, { owner: newOwnerId(), budgetMs: deps.config.tickBudgetSeconds * 1000, stopWhenEmpty: true, leaseMs: opts.leaseMs })
  const purged = await purgeExpired(deps.db, deps.config, deps.clock.now())
  // Idempotency keys answer repeats for 24 h only; older ones are dropped here too.
  await autocommitWrites(deps.db, (q) => purgeKeys(q, deps.clock.now()))
  return { ...run, purged }
}

export function tickLine(s: TickSummary): string {
  return `tick: ${s.claimed} claimed, ${s.succeeded} succeeded, ${s.retried} to retry, ${s.failed} failed` +
    `${s.released ? `, ${s.released} given back` : ''} in ${s.duration_ms} ms; purged ${s.purged.payloads_purged} payloads, ${s.purged.deliveries_purged} log rows`
}
