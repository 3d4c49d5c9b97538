// Builds a self-contained dist/: the server and CLI bundled by esbuild (only better-sqlite3, a native
// addon, stays in node_modules), plus the dashboard when its build script exists.
// `--out DIR` builds into DIR/dist/server and DIR/dashboard/dist instead (the same layout, so the
// bundle finds its dashboard); tests use a temp folder so they never rewrite the project's dist/.
import { build } from 'esbuild'
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { serviceBuildOptions } from './esbuild-options.mjs'

const outFlag = process.argv.indexOf('--out')
const root = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : '.'

const started = Date.now()
await build({ ...serviceBuildOptions({ root: '.', outdir: join(root, 'dist') }), sourcemap: true, logLevel: 'warning' })
process.stdout.write(`Built ${join(root, 'dist/server')} in ${Date.now() - started} ms\n`)

if (existsSync('dashboard/build.mjs')) {
  const args = outFlag > 0 ? ['--out', join(root, 'dashboard/dist')] : []
  const r = spawnSync(process.execPath, ['dashboard/build.mjs', ...args], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
