// Builds a self-contained dist/: the server and CLI bundled by esbuild (only better-sqlite3, a native
// addon, stays in node_modules), plus the dashboard when its build script exists.
import { build } from 'esbuild'
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const started = Date.now()
await build({
  entryPoints: { 'server/main': 'server/main.ts', 'server/cli': 'server/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Code only one database needs (mysql2 and its dependencies) goes into its own chunk, loaded by
  // connect.ts's dynamic import, so an SQLite process never parses it. Chunks sit beside the entries
  // in dist/server/, two folders below the root, where static.ts expects its import.meta.url.
  splitting: true,
  chunkNames: 'server/chunks-[name]-[hash]',
  sourcemap: true,
  external: ['better-sqlite3'],
  // CommonJS dependencies (mysql2) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __qsmCreateRequire } from 'node:module'; const require = __qsmCreateRequire(import.meta.url);" },
  logLevel: 'warning',
})
process.stdout.write(`Built dist/server in ${Date.now() - started} ms\n`)

if (existsSync('dashboard/build.mjs')) {
  const r = spawnSync(process.execPath, ['dashboard/build.mjs'], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
