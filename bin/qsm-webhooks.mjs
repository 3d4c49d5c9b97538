#!/usr/bin/env node
// `npx qsm-webhooks …`: runs the built CLI when dist/ exists, otherwise the TypeScript source via tsx.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { spawnSync } from 'node:child_process'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const built = join(root, 'dist/server/cli.mjs')
if (existsSync(built)) {
  const { cli } = await import(pathToFileURL(built).href)
  process.exit(await cli(process.argv.slice(2)))
} else {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'server/cli/main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
