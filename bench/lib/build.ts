// Bundles the service the way `npm run build` does (same esbuild options as scripts/build.mjs), but
// into bench/results/tmp/dist so a bench run never rewrites the shared dist/. The bundle is what we
// measure: running under tsx would add the TypeScript loader's own memory to the service's RSS.
import { build } from 'esbuild'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { REPO } from './proc.js'

export const BUNDLE_DIR = resolve(REPO, 'bench/results/tmp/dist')

export interface Entry {
  /** node arguments that start the web server, and the CLI (append the command). */
  web: string[]
  cli: string[]
  how: string
}

export async function buildService(): Promise<Entry> {
  mkdirSync(BUNDLE_DIR, { recursive: true })
  try {
    await build({
      entryPoints: { 'server/main': resolve(REPO, 'server/main.ts'), 'server/cli': resolve(REPO, 'server/cli/main.ts') },
      outdir: BUNDLE_DIR,
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
      external: ['better-sqlite3'],
      banner: { js: "import { createRequire as __qsmCreateRequire } from 'node:module'; const require = __qsmCreateRequire(import.meta.url);" },
      logLevel: 'silent',
    })
    return { web: [resolve(BUNDLE_DIR, 'server/main.mjs')], cli: [resolve(BUNDLE_DIR, 'server/cli.mjs')], how: 'esbuild bundle (as npm run build)' }
  } catch (err) {
    process.stderr.write(`bench: bundling failed, running the service under tsx instead: ${(err as Error).message.split('\n')[0]}\n`)
    const tsx = import.meta.resolve('tsx')
    return {
      web: ['--import', tsx, resolve(REPO, 'server/main.ts')],
      cli: ['--import', tsx, resolve(REPO, 'server/cli/main.ts')],
      how: 'tsx (bundle failed; RSS includes the TypeScript loader)',
    }
  }
}
