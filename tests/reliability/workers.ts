// Worker processes for the reliability tests: `node --import tsx server/cli/main.ts worker`, run in
// a temp folder (the CLI writes .env on a first start), output captured for failure messages.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { TEST_SECRETS } from '../helpers/config.js'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href

export interface WorkerProc {
  child: ChildProcess
  output(): string
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>
  stop(signal?: NodeJS.Signals): Promise<number | string>
}

export function startWorker(databaseUrl: string, env: Record<string, string> = {}): WorkerProc {
  const cwd = mkdtempSync(join(tmpdir(), 'qsm-worker-'))
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'server/cli/main.ts'), 'worker'], {
    cwd,
    env: { ...process.env, ...TEST_SECRETS, QSM_DATABASE_URL: databaseUrl, QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (c) => (out += c))
  child.stderr!.on('data', (c) => (out += c))
  const exited = new Promise<number | string>((r) =>
    child.once('exit', (code, signal) => {
      rmSync(cwd, { recursive: true, force: true })
      r(code ?? signal ?? -1)
    }),
  )
  return {
    child,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** Resolves once the worker printed its start line (it has connected and migrated). */
export async function workerReady(w: Pick<WorkerProc, 'child' | 'output'>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (/worker \S+ started/.test(w.output())) return
    if (w.child.exitCode !== null) throw new Error(`worker exited: ${w.output()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`worker did not start in ${timeoutMs} ms: ${w.output()}`)
}
