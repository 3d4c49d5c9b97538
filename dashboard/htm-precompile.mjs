// An esbuild plugin for dashboard/src: turns every html`…` tagged template into the h() calls htm
// would make at run time, so the bundle carries neither htm nor the template text. The templates
// are parsed by htm's own parser (htm/src/build.mjs), so the trees are the ones htm builds: same
// whitespace rules, same prop order, spreads and "a ${b}" values concatenated the same way.
// Sources stay plain htm; a template this cannot read fails the build instead of shipping.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

// htm's package exports do not list src/, so locate it from the resolved main file.
const htmSrc = new URL('../src/build.mjs', import.meta.resolve('htm'))
const { build: parse, treeify } = await import(htmSrc.href)

export const htmPrecompile = {
  name: 'htm-precompile',
  setup(b) {
    b.onLoad({ filter: /[\\/]dashboard[\\/]src[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      if (!source.includes('html`')) return { contents: source, loader: 'js' }
      const contents = precompile(source, args.path)
      return { contents, loader: 'js' }
    })
  },
}

/** The source with html`…` templates as h() calls and `html` from htm/preact replaced by `h`. */
export function precompile(source, file = 'input') {
  const importRe = /import\s*\{\s*html\s*\}\s*from\s*['"]htm\/preact['"];?/
  if (!importRe.test(source)) throw new Error(`${file}: uses html\`\` without "import { html } from 'htm/preact'"`)
  const out = transform(source.replace(importRe, "import { h } from 'preact'"), file)
  if (/\bhtml`/.test(out)) throw new Error(`${file}: an html\`\` template was left untranslated`)
  return out
}

function transform(src, file) {
  let out = ''
  let i = 0
  for (;;) {
    const j = src.indexOf('html`', i)
    if (j < 0) return out + src.slice(i)
    if (j > 0 && /[\w$.]/.test(src[j - 1])) {
      out += src.slice(i, j + 5)
      i = j + 5
      continue
    }
    const { raws, exprs, end } = readTemplate(src, j + 4, file)
    // Cooked strings, as a tag function receives them (the raw parts hold no unescaped `${`).
    const statics = raws.map((raw) => new Function(`return \`${raw}\``)())
    const tree = treeify(parse(statics), exprs.map((code) => ({ code: transform(code, file) })))
    out += src.slice(i, j) + gen(tree)
    i = end
  }
}

function gen(node) {
  if (node === undefined) return 'undefined'
  if (Array.isArray(node)) return `[${node.map(gen).join(', ')}]`
  if (typeof node === 'string' || typeof node === 'boolean') return JSON.stringify(node)
  if ('code' in node) return `(${node.code})`
  const parts = []
  for (const p of node.props) {
    if ('code' in p) {
      parts.push(`...(${p.code})`)
      continue
    }
    for (const [name, values] of Object.entries(p)) {
      // htm sets the first piece, then appends each further piece as a string.
      const value = values.map((v, k) => (k === 0 || typeof v === 'string' ? gen(v) : `("" + ${gen(v)})`)).join(' + ')
      parts.push(`${JSON.stringify(name)}: ${value}`)
    }
  }
  const props = parts.length ? `{ ${parts.join(', ')} }` : 'null'
  return `h(${[gen(node.tag), props, ...node.children.map(gen)].join(', ')})`
}

// Reads the template literal whose backtick is at src[start]: its raw string parts, the source of
// each ${…} expression, and the index after the closing backtick.
function readTemplate(src, start, file) {
  const raws = []
  const exprs = []
  let raw = ''
  let i = start + 1
  while (i < src.length) {
    const c = src[i]
    if (c === '\\') {
      raw += src.slice(i, i + 2)
      i += 2
    } else if (c === '`') {
      raws.push(raw)
      return { raws, exprs, end: i + 1 }
    } else if (c === '$' && src[i + 1] === '{') {
      raws.push(raw)
      raw = ''
      const end = readExpression(src, i + 2, file)
      exprs.push(src.slice(i + 2, end))
      i = end + 1
    } else {
      raw += c
      i++
    }
  }
  throw new Error(`${file}: unterminated template literal at ${start}`)
}

// Returns the index of the } that closes an expression starting at src[start].
function readExpression(src, start, file) {
  let depth = 0
  let i = start
  while (i < src.length) {
    const c = src[i]
    if (c === '"' || c === "'") {
      i++
      while (src[i] !== c) i += src[i] === '\\' ? 2 : 1
      i++
    } else if (c === '`') {
      i = readTemplate(src, i, file).end
    } else if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i)
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i) + 2
    } else if (c === '/' && /[(,=:[!&|?{};+\-*%<>~^]$|^$/.test(src.slice(start, i).trimEnd().slice(-1))) {
      // A regular expression literal (after an operator or an opening bracket).
      i++
      for (let inClass = false; inClass || src[i] !== '/'; i++) {
        if (src[i] === '\\') i++
        else if (src[i] === '[') inClass = true
        else if (src[i] === ']') inClass = false
      }
      i++
    } else if (c === '{') {
      depth++
      i++
    } else if (c === '}') {
      if (depth === 0) return i
      depth--
      i++
    } else {
      i++
    }
  }
  throw new Error(`${file}: unterminated \${…} at ${start}`)
}

// `node dashboard/htm-precompile.mjs src/app.js` prints a file as the bundle sees it.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const f of process.argv.slice(2)) process.stdout.write(precompile(await readFile(f, 'utf8'), f))
}
