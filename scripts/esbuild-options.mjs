// The esbuild options for bundling the service, shared by `npm run build` (scripts/build.mjs) and
// the benchmarks (bench/lib/build.ts), so what the bench measures is what ships.
import { resolve } from 'node:path'

/**
 * Options for the server and CLI bundle under outdir (dist/server/main.mjs, dist/server/cli.mjs).
 * root: the project folder the entry points are read from.
 * @param {{ root: string, outdir: string }} where
 * @returns {import('esbuild').BuildOptions}
 */
export function serviceBuildOptions({ root, outdir }) {
  return {
    entryPoints: { 'server/main': resolve(root, 'server/main.ts'), 'server/cli': resolve(root, 'server/cli/main.ts') },
    outdir,
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
    // CommonJS dependencies (mysql2) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __qsmCreateRequire } from 'node:module'; const require = __qsmCreateRequire(import.meta.url);" },
  }
}
