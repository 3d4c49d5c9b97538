// Dashboard JS size, gzipped, from the dashboard engineer's build when it exists:
// dashboard/build.mjs writes dashboard/dist/ (git-ignored), which is what ships; gzip level 9 like a static host.
import { existsSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { REPO } from '../lib/proc.js'

export interface DashboardSize {
  file: string
  bytes: number
  gzipBytes: number
  note?: string
}

export function dashboardSize(): DashboardSize | { note: string } {
  const script = resolve(REPO, 'dashboard/build.mjs')
  const out = resolve(REPO, 'dashboard/dist/app.js')
  if (existsSync(script)) {
    const r = spawnSync(process.execPath, [script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 })
    if (r.status !== 0) return { note: `dashboard/build.mjs failed: ${(r.stderr || r.stdout).slice(0, 300)}` }
  }
  if (!existsSync(out)) return { note: 'no dashboard build yet (dashboard/build.mjs / dashboard/dist/app.js not found)' }
  const buf = readFileSync(out)
  return { file: 'dashboard/dist/app.js', bytes: buf.length, gzipBytes: gzipSync(buf, { level: 9 }).length }
}
