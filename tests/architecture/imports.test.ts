// The import graph of server/, read from esbuild's metafile (the same resolver the build uses):
// no cycles (type-only imports included), and the seams the architecture page promises hold (docs/architecture.md).
import { describe, expect, it, beforeAll } from 'vitest'
import { build } from 'esbuild'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'

type Graph = Map<string, string[]>
let graph: Graph
/** Which server files import which external packages. */
let packages: Map<string, string[]>

async function importGraph(): Promise<{ graph: Graph; packages: Map<string, string[]> }> {
  const result = await build({
    entryPoints: ['server/main.ts', 'server/cli/main.ts'],
    bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent',
    outdir: 'unused',
  })
  const g: Graph = new Map()
  const pkgs = new Map<string, string[]>()
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (!file.startsWith('server/')) continue
    g.set(file, input.imports.filter((i) => !i.external).map((i) => i.path).filter((p) => p.startsWith('server/')))
    pkgs.set(file, input.imports.filter((i) => i.external).map((i) => i.path))
  }
  // Files that hold only types never reach esbuild's graph; they are nodes too.
  for (const file of readdirSync('server', { recursive: true, encoding: 'utf8' })) {
    const path = join('server', file)
    if (path.endsWith('.ts') && !g.has(path)) g.set(path, [])
  }
  // esbuild erases `import type`, but a type-only cycle still ties two files together for a
  // reader: add those edges from the source text.
  for (const [file, deps] of g) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^import type [^;]*? from '(\.[^']+)\.js'/gm)) {
      const target = normalize(join(dirname(file), `${m[1]}.ts`))
      if (g.has(target) && !deps.includes(target)) deps.push(target)
    }
  }
  return { graph: g, packages: pkgs }
}

/** Every cycle's files in order, found by depth-first search (each reported once). */
function cycles(g: Graph): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string) => {
    state.set(f, 'open')
    stack.push(f)
    for (const next of g.get(f) ?? []) {
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)).concat(next))
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of g.keys()) if (!state.has(f)) visit(f)
  return found
}

const importsOf = (prefix: string) => [...graph].filter(([f]) => f.startsWith(prefix)).flatMap(([f, deps]) => deps.map((d) => `${f} -> ${d}`))

describe('the server import graph', () => {
  beforeAll(async () => {
    ;({ graph, packages } = await importGraph())
  })

  it('reads the whole server, not a handful of files', () => {
    expect(graph.size).toBeGreaterThan(80)
  })

  it('has no circular imports', () => {
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([])
  })

  it('finds a cycle when there is one (the check itself works)', () => {
    const g: Graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']])
  })

  it('keeps the delivery engine free of HTTP, route and runtime code', () => {
    const bad = importsOf('server/delivery/').filter((e) => /-> server\/(http\/|deps\.ts|app\.ts|main\.ts|cli\/)|-> server\/[^ ]*route/.test(e))
    expect(bad).toEqual([])
  })

  it('lets only server/db open a database driver', () => {
    const users = [...packages].filter(([, pkgs]) => pkgs.some((p) => /^(mysql2|better-sqlite3)(\/|$)/.test(p))).map(([f]) => f)
    expect(users.length).toBeGreaterThan(0)
    expect(users.filter((f) => !f.startsWith('server/db/'))).toEqual([])
  })
})
