// Who may write which table (docs/architecture.md, "Who writes what"): read from the source, so a
// new writer in the wrong folder fails here instead of in a review.
import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

/**
 * [file, table] for every insertInto/updateTable/deleteFrom('table') in server/, and for every
 * RowsInsert and RowsUpdate spec (the hot multi-row writes of db/insert-rows.ts and db/update-rows.ts
 * name their table there).
 */
function writes(): [string, string][] {
  const out: [string, string][] = []
  for (const file of sources('server')) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\b(?:insertInto|updateTable|deleteFrom)\(\s*'([a-z_]+)'/g)) out.push([file, m[1]!])
    for (const m of text.matchAll(/\bRows(?:Insert|Update)<[^=]*=\s*\{\s*table:\s*'([a-z_]+)'/g)) out.push([file, m[1]!])
  }
  return out
}

// server/db/write-first.ts issues a no-op UPDATE on deliveries only to take SQLite's write lock.
const ALLOWED: Record<string, RegExp> = {
  deliveries: /^server\/(delivery\/|db\/write-first\.ts$)/,
  delivery_attempts: /^server\/delivery\//,
  events: /^server\/(events\/|delivery\/)/,
  endpoints: /^server\/(endpoints\/|delivery\/(endpoint-health|health-alerts)\.ts$)/,
  idempotency_keys: /^server\/idempotency\//,
  alert_settings: /^server\/alerts\//,
  alert_outbox: /^server\/alerts\//,
}

describe('table writers', () => {
  it('lets only the alerts folder write alert settings and the alert outbox', () => {
    expect(writes().filter(([f, t]) => (t === 'alert_settings' || t === 'alert_outbox') && !ALLOWED[t]!.test(f))).toEqual([])
  })

  const found = writes()

  it('finds the writers it checks (the scan itself works)', () => {
    expect(found.some(([f, t]) => f === 'server/delivery/complete.ts' && t === 'delivery_attempts')).toBe(true)
    // complete.ts writes deliveries twice: successes through a RowsUpdate spec, others with updateTable.
    expect(found.filter(([f, t]) => f === 'server/delivery/complete.ts' && t === 'deliveries')).toHaveLength(2)
  })

  it('lets only the delivery folder write deliveries and their attempts', () => {
    expect(found.filter(([f, t]) => (t === 'deliveries' || t === 'delivery_attempts') && !ALLOWED[t]!.test(f))).toEqual([])
  })

  it('lets only the endpoints feature (and endpoint health) write endpoints, and ingest or the engine write events', () => {
    expect(found.filter(([f, t]) => (t === 'endpoints' || t === 'events') && !ALLOWED[t]!.test(f))).toEqual([])
  })

  it('lets only server/idempotency write the idempotency keys', () => {
    expect(found.some(([, t]) => t === 'idempotency_keys')).toBe(true)
    expect(found.filter(([f, t]) => t === 'idempotency_keys' && !ALLOWED[t]!.test(f))).toEqual([])
  })
})
