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
    // Whitespace and syntax only: names stay, so stack traces still name functions (and
    // `npm run build` writes a source map). V8 keeps each module's source text in the heap for lazy
    // compilation: unminified, the three chunks were 4.5 MB of it, a third of the idle heap's large
    // objects; loaded web RSS on MariaDB fell by ~4 MB with this.
    minifyWhitespace: true,
    minifySyntax: true,
    // CommonJS dependencies (mysql2) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __qsmCreateRequire } from 'node:module'; const require = __qsmCreateRequire(import.meta.url);" },
  }
}
