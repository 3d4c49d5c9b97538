// The committed JSON Schema files under docs/schema/, generated from the zod schemas. The script
// writes them; a test compares them so a schema change cannot ship with stale files.
import { eventCatalogue, envelopeJsonSchema } from './catalogue.js'

export const SCHEMA_DIR = 'docs/schema'

/** File name (inside docs/schema/) → exact file content. */
export function schemaFiles(): Map<string, string> {
  const files = new Map<string, string>()
  const write = (name: string, value: unknown) => files.set(name, JSON.stringify(value, null, 2) + '\n')
  write('envelope.json', envelopeJsonSchema())
  for (const entry of eventCatalogue()) write(`${entry.type}.json`, entry.schema)
  return files
}
