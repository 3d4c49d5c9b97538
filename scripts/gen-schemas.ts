// Writes docs/schema/<type>.json and envelope.json from the zod event schemas.
// Run after changing anything in server/events/schemas/: npx tsx scripts/gen-schemas.ts
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SCHEMA_DIR, schemaFiles } from '../server/events/schema-files.js'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const dir = join(root, SCHEMA_DIR)
mkdirSync(dir, { recursive: true })
const files = schemaFiles()
// Remove schemas of types that no longer exist, so the folder mirrors the catalogue exactly.
for (const name of readdirSync(dir)) {
  if (name.endsWith('.json') && !files.has(name)) rmSync(join(dir, name))
}
for (const [name, content] of files) writeFileSync(join(dir, name), content)
process.stdout.write(`Wrote ${files.size} schema files to ${SCHEMA_DIR}/\n`)
