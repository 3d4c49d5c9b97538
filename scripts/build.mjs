// Builds a self-contained dist/: the server and CLI bundled by esbuild (only better-sqlite3, a native
// addon, stays in node_modules), plus the dashboard when its build script exists.
import { build } from 'esbuild'
import { serviceBuildOptions } from './esbuild-options.mjs'
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const started = Date.now()
await build({ ...serviceBuildOptions({ root: '.', outdir: 'dist' }), sourcemap: true, logLevel: 'warning' })
process.stdout.write(`Built dist/server in ${Date.now() - started} ms\n`)

if (existsSync('dashboard/build.mjs')) {
  const r = spawnSync(process.execPath, ['dashboard/build.mjs'], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
