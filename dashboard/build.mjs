// Builds the static dashboard into dashboard/dist/: index.html, config.js, app.js, app.css.
// Asset paths are relative, so dist/ works from any folder (/dashboard/, /webhooks/, …).
// html`…` templates are compiled to h() calls at build time (htm-precompile.mjs), so htm is not shipped.
// Prints the JS size raw and gzipped and fails above the 20 KB gzipped budget.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { htmPrecompile } from './htm-precompile.mjs'

const BUDGET_GZIP = 20 * 1024
const TARGET_GZIP = 12 * 1024
const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'dist')

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
await build({
  // main.js imports app.css, so esbuild writes app.css next to app.js.
  entryPoints: { app: join(here, 'src/main.js') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [htmPrecompile],
})
copyFileSync(join(here, 'index.html'), join(out, 'index.html'))
copyFileSync(join(here, 'config.js'), join(out, 'config.js'))

const kb = (n) => `${(n / 1024).toFixed(1)} KB`
const js = readFileSync(join(out, 'app.js'))
const gz = gzipSync(js, { level: 9 }).length
const css = readFileSync(join(out, 'app.css'))
process.stdout.write(`Built dashboard/dist: app.js ${kb(js.length)} (${kb(gz)} gzipped), app.css ${kb(css.length)} (${kb(gzipSync(css).length)} gzipped)\n`)
if (gz > BUDGET_GZIP) {
  process.stderr.write(`Dashboard JS is ${kb(gz)} gzipped, over the ${kb(BUDGET_GZIP)} budget. Remove code or dependencies.\n`)
  process.exit(1)
}
if (gz > TARGET_GZIP) process.stdout.write(`Note: over the ${kb(TARGET_GZIP)} target, still within the budget.\n`)
