// `npm run screenshots`: runs the dashboard's browser tests, which save their screenshots to the
// ignored test-results/screenshots/, then copies that set to docs/images/. Tests alone never write
// tracked files; refreshing the pictures in the docs is this explicit step.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const FROM = 'test-results/screenshots'
const TO = 'docs/images'

rmSync(FROM, { recursive: true, force: true })
const run = spawnSync('npx', ['vitest', 'run', 'tests/dashboard'], { stdio: 'inherit' })
if (run.status !== 0) process.exit(run.status ?? 1)
mkdirSync(TO, { recursive: true })
const files = readdirSync(FROM).filter((f) => f.endsWith('.png'))
for (const f of files) copyFileSync(join(FROM, f), join(TO, f))
process.stdout.write(`Copied ${files.length} screenshots from ${FROM}/ to ${TO}/\n`)
