// Reads the fenced code blocks of the Markdown docs, so tests can check and run them.
//
// The convention (also explained at the top of code-blocks.test.ts). The info string is the text
// after the opening fence; its first word is the language, the other words are attributes.
// GitHub shows only the language, so readers never see the attributes.
//
//   ```sh illustrative        an example that no test runs (placeholders, hosting panels, …)
//   ```js file=docs/recipes/verify.mjs
//                             the block is that file, verbatim; tests run the file
//   ```sh run=local-emit      a test in tests/docs runs this block (found by its id)
//   ```text / ```mermaid      output or a diagram: nothing to run
//   ```json                   data: it must parse as JSON
//
// An HTML comment `<!-- illustrative -->` on the line before a fence also marks it illustrative.
//
// Run `npx tsx tests/docs/blocks.ts --sync` to copy the docs/recipes files into the docs blocks
// that include them.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')

export interface Block {
  file: string
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  attrs: Record<string, string | true>
  /** The lines between the fences, with the fence's indentation removed, ending in "\n". */
  content: string
  /** True when `<!-- illustrative -->` is on the line before the fence. */
  commentIllustrative: boolean
  /** Line range of the content (0-based, end exclusive), for --sync. */
  start: number
  end: number
  indent: string
}

export function parseBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  let i = 0
  while (i < lines.length) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]!)
    if (!open) {
      i++
      continue
    }
    const [, indent, fence, info] = open as unknown as [string, string, string, string]
    const words = info.trim().split(/\s+/).filter(Boolean)
    const attrs: Record<string, string | true> = {}
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=')
      if (eq > 0) attrs[w.slice(0, eq)] = w.slice(eq + 1)
      else attrs[w] = true
    }
    const prev = i > 0 ? lines[i - 1]!.trim() : ''
    const start = i + 1
    let j = start
    const closeRe = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
    while (j < lines.length && !closeRe.test(lines[j]!)) j++
    const body = lines.slice(start, j).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
    blocks.push({
      file,
      line: i + 1,
      lang: words[0] ?? '',
      attrs,
      content: body.length ? body.join('\n') + '\n' : '',
      commentIllustrative: prev === '<!-- illustrative -->',
      start,
      end: j,
      indent,
    })
    i = j + 1
  }
  return blocks
}

/** docs/*.md and README.md, as paths relative to the repository root. */
export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`)
  return ['README.md', ...docs]
}

export function allBlocks(): Block[] {
  return docFiles().flatMap((f) => parseBlocks(f, readFileSync(join(ROOT, f), 'utf8')))
}

/** The one block tagged `run=<id>`; throws when there is none or more than one. */
export function runBlock(id: string): Block {
  const found = allBlocks().filter((b) => b.attrs.run === id)
  if (found.length !== 1) throw new Error(`expected exactly one block tagged run=${id} in the docs, found ${found.length}`)
  return found[0]!
}

/** Rewrites every `file=` block from its file. Returns the docs it changed. */
export function syncIncludes(): string[] {
  const changed: string[] = []
  for (const doc of docFiles()) {
    const path = join(ROOT, doc)
    const text = readFileSync(path, 'utf8')
    const lines = text.split('\n')
    const blocks = parseBlocks(doc, text).filter((b) => typeof b.attrs.file === 'string')
    // Replace from the bottom so earlier line numbers stay valid.
    for (const b of blocks.reverse()) {
      const source = readFileSync(join(ROOT, b.attrs.file as string), 'utf8').replace(/\n$/, '')
      const replacement = source.split('\n').map((l) => (l ? b.indent + l : l))
      lines.splice(b.start, b.end - b.start, ...replacement)
    }
    const next = lines.join('\n')
    if (next !== text) {
      writeFileSync(path, next)
      changed.push(doc)
    }
  }
  return changed
}

if (process.argv.includes('--sync')) {
  const changed = syncIncludes()
  process.stdout.write(changed.length ? `Updated ${changed.join(', ')}\n` : 'All included files are up to date.\n')
}
