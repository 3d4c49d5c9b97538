// The real server as a child process (tsx over server/main.ts), for tests that stop and start it:
// the bridge against a live server, and the bridge while the server is down.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
// The server runs in a temp cwd (it reads and may write .env there), so name tsx's loader by path.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href

/** A loopback port that was free a moment ago (bound, then closed). */
export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const p = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return p
}

/**
 * Starts the server and resolves once /healthz answers; throws with its output if it exits or
 * does not answer in 30 s. Output also goes to `onOutput`, for assertions after a restart.
 */
export async function startServerProcess(o: {
  cwd: string; env: NodeJS.ProcessEnv; port: number; onOutput?: (chunk: string) => void
  /** A command that execs the rest of its arguments (e.g. `unshare --mount sh -c …`): the server runs under it. */
  prefix?: string[]
}): Promise<ChildProcess> {
  const command = [...(o.prefix ?? []), process.execPath, '--import', TSX, join(ROOT, 'server/main.ts')]
  const child = spawn(command[0]!, command.slice(1), { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (c: Buffer) => {
    output += c
    o.onOutput?.(String(c))
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`)
    try {
      if ((await fetch(`http://127.0.0.1:${o.port}/healthz`)).ok) return child
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`server did not answer /healthz in 30 s: ${output}`)
}
