import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SCHEMA_DIR, schemaFiles } from '../../../server/events/schema-files.js'

const dir = join(resolve(fileURLToPath(import.meta.url), '../../../..'), SCHEMA_DIR)
const FIX = 'docs/schema is stale: run npx tsx scripts/gen-schemas.ts and commit the result'

describe('the committed JSON Schema files', () => {
  const expected = schemaFiles()

  it('match what the zod schemas generate, file by file', () => {
    for (const [name, content] of expected) {
      const path = join(dir, name)
      expect(existsSync(path), `${name} is missing. ${FIX}`).toBe(true)
      expect(readFileSync(path, 'utf8'), `${name} differs. ${FIX}`).toBe(content)
    }
  })

  it('include no schema for a type that no longer exists', () => {
    const onDisk = readdirSync(dir).filter((n) => n.endsWith('.json'))
    expect(onDisk.filter((n) => !expected.has(n)), FIX).toEqual([])
  })
})
