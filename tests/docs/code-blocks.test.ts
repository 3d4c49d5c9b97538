// Every fenced code block in README.md and docs/*.md is either run by a test, marked as an
// example that nobody runs, or not code at all. So a reader never copies a command that silently
// stopped working.
//
// The convention, in the info string after the opening fence (GitHub shows only the first word,
// the language, so readers do not see the rest):
//
//   ```sh illustrative              an example no test runs: placeholders, hosting panels, servers
//   ```js file=docs/recipes/verify.mjs
//                                   the block must equal that file; tests/docs/recipes.test.ts runs it
//   ```sh run=local-emit            a test in tests/docs runs this exact block (runBlock('local-emit'),
//                                   or run('local-emit') in walkthrough.test.ts)
//   ```text, ```mermaid, ```css     output, a diagram, a listing: nothing to run
//   ```json                         data: must be valid JSON
//
// `<!-- illustrative -->` on the line right before a fence works like the `illustrative` word.
// Blocks in files this project's docs team does not own (README.md) that predate the convention
// are listed in COVERED_ELSEWHERE with the test that runs them; changing such a block fails here
// until it is marked or listed again.
import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ROOT, allBlocks, docFiles, type Block } from './blocks.js'

const NOT_CODE = new Set(['text', 'mermaid', 'css'])

/** README blocks run by other tests (they cannot carry attributes without editing README.md). */
const COVERED_ELSEWHERE: { file: string; content: string; by: string }[] = [
  { file: 'README.md', content: 'npm ci\nnpm start\n', by: 'tests/server/main/start.test.ts starts the built server in an empty folder (what npm start runs); the new-user trial ran npm ci' },
  { file: 'README.md', content: 'npx qsm-webhooks token user-42\n', by: 'tests/docs/walkthrough.test.ts runs the same command (block run=local-token)' },
  { file: 'README.md', content: 'npm test\n', by: 'the test suite itself' },
]

/** The README's opening text diagram: no language, nothing to run. */
const README_DIAGRAM = (b: Block) => b.file === 'README.md' && b.lang === '' && b.content.includes('──bridge──▶')

function classify(b: Block): { ok: true; kind: string } | { ok: false; why: string } {
  if (b.attrs.illustrative === true || b.commentIllustrative) return { ok: true, kind: 'illustrative' }
  if (typeof b.attrs.file === 'string') return { ok: true, kind: 'file' }
  if (typeof b.attrs.run === 'string') return { ok: true, kind: 'run' }
  if (NOT_CODE.has(b.lang)) return { ok: true, kind: 'not code' }
  if (b.lang === 'json') return { ok: true, kind: 'json' }
  if (README_DIAGRAM(b)) return { ok: true, kind: 'not code' }
  if (COVERED_ELSEWHERE.some((c) => c.file === b.file && c.content === b.content)) return { ok: true, kind: 'covered elsewhere' }
  return {
    ok: false,
    why: `${b.file}:${b.line} \`\`\`${b.lang} block is neither run by a test nor marked: add "illustrative" after the language (\`\`\`${b.lang || 'sh'} illustrative), or run=<id> and a test that runs it, or use \`\`\`text for output`,
  }
}

describe('code blocks in the docs', () => {
  const blocks = allBlocks()

  it('finds the docs and their blocks', () => {
    expect(docFiles()).toContain('README.md')
    expect(docFiles()).toContain('docs/verifying-signatures.md')
    expect(blocks.length).toBeGreaterThan(20)
  })

  it('every block is run by a test, marked illustrative, or not code', () => {
    const problems = blocks.map(classify).flatMap((c) => (c.ok ? [] : [c.why]))
    expect(problems, problems.join('\n')).toEqual([])
  })

  it('every included file is in the docs verbatim (run `npx tsx tests/docs/blocks.ts --sync` after editing a recipe)', () => {
    const included = blocks.filter((b) => typeof b.attrs.file === 'string')
    expect(included.map((b) => b.attrs.file).sort()).toEqual(
      expect.arrayContaining(['docs/recipes/verify.mjs', 'docs/recipes/verify.php', 'docs/recipes/verify.py']),
    )
    for (const b of included) {
      const path = join(ROOT, b.attrs.file as string)
      expect(existsSync(path), `${b.file}:${b.line} includes ${b.attrs.file}, which does not exist`).toBe(true)
      expect(b.content, `${b.file}:${b.line} differs from ${b.attrs.file}`).toBe(readFileSync(path, 'utf8'))
    }
  })

  it('every run=<id> block has a test in tests/docs that runs it, and ids are unique', () => {
    const testsText = readdirSync(join(ROOT, 'tests/docs'))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(join(ROOT, 'tests/docs', f), 'utf8'))
      .join('\n')
    const ids = blocks.filter((b) => typeof b.attrs.run === 'string').map((b) => b.attrs.run as string)
    expect(new Set(ids).size, `duplicate run ids: ${ids.join(', ')}`).toBe(ids.length)
    // The runner passes the id on to runBlock(), e.g. run('local-emit') in walkthrough.test.ts.
    for (const id of ids) expect(testsText, `no test in tests/docs runs the block '${id}'`).toMatch(new RegExp(`(run|runBlock)\\('${id}'[,)]`))
  })

  it('every json block is valid JSON', () => {
    for (const b of blocks.filter((x) => x.lang === 'json' && !x.attrs.illustrative && !x.commentIllustrative)) {
      expect(() => JSON.parse(b.content), `${b.file}:${b.line}`).not.toThrow()
    }
  })

  it('the README blocks listed as covered elsewhere still exist (remove stale entries)', () => {
    for (const c of COVERED_ELSEWHERE) {
      expect(blocks.some((b) => b.file === c.file && b.content === c.content), `${c.file}: ${JSON.stringify(c.content)}`).toBe(true)
    }
  })
})

describe('links in the docs', () => {
  // Relative links and images must point at files that exist, and #anchors at headings that exist,
  // so a reader following the docs never lands on nothing (screenshots included).
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[`*_]/g, '')
      .replace(/[^\p{L}\p{N} -]/gu, '')
      .replace(/ /g, '-')

  const anchorsOf = (file: string): Set<string> => {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/^(```|~~~)[\s\S]*?^\1\s*$/gm, '')
    return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)))
  }

  for (const file of docFiles()) {
    it(`${file}: relative links and images resolve`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/^(\s*)(```|~~~)[\s\S]*?^\s*\2\s*$/gm, '')
      const problems: string[] = []
      for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!
        if (/^[a-z]+:/i.test(target)) continue
        const [path, anchor] = target.split('#') as [string, string | undefined]
        const resolved = path ? join(dirname(file), path) : file
        if (!existsSync(join(ROOT, resolved))) {
          problems.push(`${target} (no file ${resolved})`)
          continue
        }
        if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) problems.push(`${target} (no heading #${anchor} in ${resolved})`)
      }
      expect(problems, problems.join('\n')).toEqual([])
    })
  }
})
