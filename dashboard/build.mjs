// Builds the static dashboard into dashboard/dist/: index.html, config.js, app.js, app.css.
// Asset paths are relative, so dist/ works from any folder (/dashboard/, /webhooks/, …).
// html`…` templates are compiled to h() calls at build time (htm-precompile.mjs), so htm is not shipped.
// Prints the JS size raw and gzipped (12 KB gzipped is the target) and fails above the 20 KB
// gzipped budget.
// `node dashboard/build.mjs --analyze` also prints the bytes per source module (esbuild metafile).
import { analyzeMetafile, build } from 'esbuild'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
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
const result = await build({
  // main.js imports app.css, so esbuild writes app.css next to app.js.
  entryPoints: { app: join(here, 'src/main.js') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  plugins: [htmPrecompile],
})
copyFileSync(join(here, 'index.html'), join(out, 'index.html'))
copyFileSync(join(here, 'config.js'), join(out, 'config.js'))
if (process.argv.includes('--analyze')) process.stdout.write(await analyzeMetafile(result.metafile))

const kb = (n) => `${(n / 1024).toFixed(1)} KB`
const sizes = (file) => {
  const bytes = readFileSync(join(out, file))
  return { file, raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length }
}
const js = ['app.js', ...readdirSync(out).filter((f) => f.endsWith('.js') && f !== 'app.js' && f !== 'config.js').sort()].map(sizes)
const css = sizes('app.css')
const total = js.reduce((sum, f) => sum + f.gz, 0)
const app = js[0]
process.stdout.write(`Built dashboard/dist: ${js.map((f) => `${f.file} ${kb(f.raw)} (${kb(f.gz)} gzipped)`).join(', ')}; all JS ${kb(total)} gzipped; app.css ${kb(css.raw)} (${kb(gzipSync(readFileSync(join(out, 'app.css'))).length)} gzipped)\n`)
if (total > BUDGET_GZIP) {
  process.stderr.write(`Dashboard JS is ${kb(total)} gzipped, over the ${kb(BUDGET_GZIP)} budget. Remove code or dependencies.\n`)
  process.exit(1)
}
if (app.gz > TARGET_GZIP) process.stdout.write(`Note: app.js is over the ${kb(TARGET_GZIP)} target, still within the budget.\n`)
