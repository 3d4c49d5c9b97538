// "Try it on your computer" in docs/getting-started.md, run as written: the service started from a
// fresh folder, the docs' receiver (docs/recipes/receiver.mjs), and the blocks tagged run=local-*
// executed with bash. Only the ports change (the test picks free ones instead of 3000 and 4000).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, runBlock } from './blocks.js'

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
  })
}

/** The environment of a new user: none of the test runner's QSM_* settings. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('QSM_') && k !== 'PORT' && !k.startsWith('WEBHOOK_')) env[k] = v
  return { ...env, ...extra }
}

interface Proc {
  child: ChildProcess
  output: () => string
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>
}

function startProc(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  return {
    child,
    output: () => out,
    async waitFor(re, timeoutMs = 20_000) {
      const start = Date.now()
      while (!re.test(out)) {
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${re} in:\n${out}`)
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}):\n${out}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
  }
}

async function stop(p: Proc | undefined) {
  if (!p || p.child.exitCode !== null) return
  const exited = new Promise((r) => p.child.once('exit', r))
  p.child.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  if (p.child.exitCode === null) p.child.kill('SIGKILL')
}

describe('docs/getting-started.md: try it on your computer', () => {
  let dir: string
  let port: number
  let receiverPort: number
  let server: Proc | undefined
  let receiver: Proc | undefined
  const vars: Record<string, string> = {}

  /**
   * Runs a run=<id> block with bash in the project folder, with the variables earlier steps set;
   * the doc's ports become the test's. `after` reads back what the block exported.
   */
  function run(id: string, after = '') {
    const script = (runBlock(id).content + after)
      .replaceAll('localhost:3000', `127.0.0.1:${port}`)
      .replaceAll('127.0.0.1:4000', `127.0.0.1:${receiverPort}`)
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: userEnv(vars), encoding: 'utf8', timeout: 60_000 })
    expect(r.status, `block run=${id} failed:\n${r.stdout}\n${r.stderr}`).toBe(0)
    return r.stdout
  }

  beforeAll(async () => {
    // A project folder of its own, so .env and data/ are written there and not in the repository.
    dir = mkdtempSync(join(tmpdir(), 'qsm-docs-walk-'))
    for (const f of ['package.json', 'node_modules', 'bin', 'server', 'migrations', 'docs', 'bridge']) symlinkSync(join(ROOT, f), join(dir, f))
    port = await freePort()
    receiverPort = await freePort()
    // What `QSM_ALLOW_PRIVATE_TARGETS=true npm start` runs, from source (the build is tested elsewhere).
    server = startProc(process.execPath, ['--import', 'tsx', 'server/main.ts'], dir, userEnv({ PORT: String(port), QSM_ALLOW_PRIVATE_TARGETS: 'true' }))
    await server.waitFor(/QSM Webhooks is running/, 30_000)
    receiver = startProc(process.execPath, ['docs/recipes/receiver.mjs'], dir, userEnv({ RECEIVER_PORT: String(receiverPort) }))
    await receiver.waitFor(/Receiver listening/)
  })

  afterAll(async () => {
    await stop(receiver)
    await stop(server)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('step 1: the first start wrote .env and says so', () => {
    expect(server!.output()).toContain('First start: wrote .env with fresh random secrets')
  })

  it('step 3: the token command prints a dashboard link and the token on its own line', () => {
    const out = run('local-token')
    expect(out).toContain('/dashboard/#token=')
    const lines = out.trim().split('\n')
    expect(lines.at(-2)).toBe('Token only:')
    expect(lines.at(-1)!.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('step 3: the export line puts the token in $TOKEN', () => {
    vars.TOKEN = run('local-token-export', 'printf %s "$TOKEN"')
    expect(vars.TOKEN).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('step 4: the curl command creates the endpoint and puts its id and secret in variables', () => {
    const out = run('local-create', 'printf "\\n%s %s" "$ENDPOINT_ID" "$WEBHOOK_SECRET"').trim().split('\n')
    const created = JSON.parse(out[0]!)
    expect(created).toMatchObject({ url: `http://127.0.0.1:${receiverPort}/`, event_types: ['*'], is_active: true })
    expect(created.id).toMatch(/^wh_/)
    expect(created.secret).toMatch(/^whsec_/)
    expect(out.at(-1)).toBe(`${created.id} ${created.secret}`)
    vars.ENDPOINT_ID = created.id
    vars.WEBHOOK_SECRET = created.secret
  })

  it('step 7 (set up early): the receiver restarted with the secret checks signatures', async () => {
    await stop(receiver)
    receiver = startProc(process.execPath, ['docs/recipes/receiver.mjs'], dir, userEnv({ RECEIVER_PORT: String(receiverPort), WEBHOOK_SECRET: vars.WEBHOOK_SECRET! }))
    await receiver.waitFor(/Receiver listening/)
  })

  it('step 5: the test event reaches the receiver with a valid signature', async () => {
    const answer = JSON.parse(run('local-test'))
    expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true, status_code: 200 })
    await receiver!.waitFor(/type=webhook\.test signature valid/)
  })

  it('step 6: the curl + openssl event is accepted with one delivery and arrives signed', async () => {
    const answer = JSON.parse(run('local-emit'))
    expect(answer, JSON.stringify(answer)).toMatchObject({ data: [{ deliveries: 1, duplicate: false }] })
    await receiver!.waitFor(/type=usage\.threshold_reached signature valid\n.*\n.*\n/)
    expect(receiver!.output()).not.toContain('INVALID')
  })

  it('the receiver prints what "Check a delivery from the command line" needs, and the recipe accepts it', () => {
    // docs/verifying-signatures.md: paste the export line, save the body without a final newline.
    const lines = receiver!.output().split('\n')
    const at = lines.findIndex((l) => l.includes('type=usage.threshold_reached'))
    const exportLine = lines[at + 1]!.trim()
    expect(exportLine).toMatch(/^export WEBHOOK_ID='evt_\w+' WEBHOOK_TIMESTAMP='\d+' WEBHOOK_SIGNATURE='v1,[^']+'$/)
    const body = lines[at + 2]!
    const r = spawnSync('bash', ['-c', `${exportLine}\nnode docs/recipes/verify.mjs`], { cwd: dir, env: userEnv({ WEBHOOK_SECRET: vars.WEBHOOK_SECRET! }), input: body, encoding: 'utf8' })
    expect({ code: r.status, out: r.stdout.trim(), err: r.stderr.trim() }).toEqual({ code: 0, out: 'valid', err: '' })
  })

  it('step 8: the delivery log lists the deliveries, succeeded', async () => {
    const log = JSON.parse(run('local-log'))
    const emitted = log.data.find((d: { event_type: string }) => d.event_type === 'usage.threshold_reached')
    expect(emitted, JSON.stringify(log)).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200 })
  })
})
