// Builds the static dashboard into dashboard/dist/ (or the folder given as `--out DIR`, which tests
// use so they never rewrite dist/): index.html, config.js, app.js, app.css.
// Asset paths are relative, so dist/ works from any folder (/dashboard/, /webhooks/, …).
// htm ships with the page (htm/preact, under 1 KB gzipped) and parses each html`…` template once,
// on first use; there is no compile step that reaches into htm's unexported internals.
// Prints the JS size raw and gzipped (12 KB gzipped is the target) and fails above the 20 KB
// gzipped budget.
// `node dashboard/build.mjs --analyze` also prints the bytes per source module (esbuild metafile).
import { analyzeMetafile, build } from 'esbuild'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_GZIP = 20 * 1024
const TARGET_GZIP = 12 * 1024
const here = dirname(fileURLToPath(import.meta.url))
const outFlag = process.argv.indexOf('--out')
const out = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(here, 'dist')

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
process.stdout.write(`Built ${out.startsWith(process.cwd()) ? relative(process.cwd(), out) : out}: ${js.map((f) => `${f.file} ${kb(f.raw)} (${kb(f.gz)} gzipped)`).join(', ')}; all JS ${kb(total)} gzipped; app.css ${kb(css.raw)} (${kb(gzipSync(readFileSync(join(out, 'app.css'))).length)} gzipped)\n`)
if (total > BUDGET_GZIP) {
  process.stderr.write(`Dashboard JS is ${kb(total)} gzipped, over the ${kb(BUDGET_GZIP)} budget. Remove code or dependencies.\n`)
  process.exit(1)
}
if (app.gz > TARGET_GZIP) process.stdout.write(`Note: app.js is over the ${kb(TARGET_GZIP)} target, still within the budget.\n`)
