// Bundles the service the way `npm run build` does (the same options, scripts/esbuild-options.mjs),
// but into bench/results/tmp/dist so a bench run never rewrites the shared dist/. The bundle is what we
// measure: running under tsx would add the TypeScript loader's own memory to the service's RSS.
import { build } from 'esbuild'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { REPO } from './proc.js'
import { serviceBuildOptions } from '../../scripts/esbuild-options.mjs'

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
    // Under BENCH_CPU_PROF the bundle keeps its line breaks and esbuild's "// server/…" module
    // markers, so cpuprofile-top.ts can name the module of each bundled function (inclusive times).
    const forProfile = process.env.BENCH_CPU_PROF ? { minifyWhitespace: false } : {}
    await build({ ...serviceBuildOptions({ root: REPO, outdir: BUNDLE_DIR }), ...forProfile, logLevel: 'silent' })
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
