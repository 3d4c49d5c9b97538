// Summarises a .cpuprofile (from BENCH_CPU_PROF) as self time per function and per package, so a
// finding can say "x % of the service's CPU is in mysql2 packet parsing" instead of guessing.
// Usage: npx tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  children?: number[]
  callFrame: { functionName: string; url: string; lineNumber: number }
}
const prof = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
const top = Number(process.argv[3] ?? 25)
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)))
let total = 0
for (const v of self.values()) total += v

// esbuild marks each bundled module with a "// path/to/file.js" line; map bundle lines back to them.
const markers = new Map<string, { line: number; path: string }[]>()
function moduleOf(url: string, line: number): string {
  if (!url.endsWith('.mjs')) return url
  let list = markers.get(url)
  if (!list) {
    list = []
    try {
      readFileSync(new URL(url), 'utf8').split('\n').forEach((text, i) => {
        const m = /^\/\/ ((?:node_modules|server|migrations)\/\S+)$/.exec(text)
        if (m) list!.push({ line: i, path: m[1]! })
      })
    } catch {
      // not a file URL we can read
    }
    markers.set(url, list)
  }
  let found = url
  for (const mk of list) if (mk.line <= line) found = mk.path
  return found
}

const fn = new Map<string, number>()
const pkg = new Map<string, number>()
for (const [id, us] of self) {
  const cf = byId.get(id)!.callFrame
  const mod = moduleOf(cf.url, cf.lineNumber)
  const where = mod.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')
  const name = `${cf.functionName || '(anonymous)'}  ${where}:${cf.lineNumber + 1}`
  fn.set(name, (fn.get(name) ?? 0) + us)
  const p = mod.includes('node_modules/') ? mod.split('node_modules/')[1]!.split('/')[0]! : mod.startsWith('node:') ? 'node core' : mod.startsWith('server/') ? mod.split('/').slice(0, 2).join('/') : mod ? mod : cf.functionName || '(native)'
  pkg.set(p, (pkg.get(p) ?? 0) + us)
}
// Inclusive time of our own functions (server/…): the whole cost of a request path, callees included.
const parent = new Map<number, number>()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const incl = new Map<string, number>()
prof.samples.forEach((id, i) => {
  const names = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const cf = byId.get(cur)!.callFrame
    const mod = moduleOf(cf.url, cf.lineNumber)
    if (mod.startsWith('server/')) names.add(`${cf.functionName || '(anonymous)'}  ${mod}`)
  }
  for (const n of names) incl.set(n, (incl.get(n) ?? 0) + (prof.timeDeltas[i] ?? 0))
})

const show = (m: Map<string, number>, k: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`).join('\n')
process.stdout.write(`total sampled ${(total / 1e6).toFixed(2)} s\n\nby package:\n${show(pkg, 12)}\n\nby function (self):\n${show(fn, top)}\n\nour functions (inclusive):\n${show(incl, top)}\n`)
