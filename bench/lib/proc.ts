// Child processes of the harness: receivers, generators, the service under test, BullMQ. Each one
// runs in its own process so its RSS and CPU are its own; they talk to us in JSON lines on stdout.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, resolve } from 'node:path'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** tsx's loader by absolute URL, so a child can run TypeScript with any working directory. */
export const TSX = import.meta.resolve('tsx')

const live = new Set<ChildProcess>()

export interface Child {
  proc: ChildProcess
  pid: number
  /** Resolves with the first JSON line for which pick() returns a value. */
  next<T>(pick: (msg: any) => T | undefined, timeoutMs: number): Promise<T>
  /** Everything the child wrote to stderr (last 8 KB), for error messages. */
  stderr(): string
  /** The child's stdout text (last 8 KB), for commands that print a summary. */
  stdout(): string
  /** Resolves with the exit code when the child exits. */
  exited: Promise<number | null>
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
}

export interface SpawnOpts {
  env?: Record<string, string>
  cwd?: string
  nodeArgs?: string[]
}

/** Runs a TypeScript file (path relative to the repo) under tsx, passing `arg` as JSON. */
export function spawnTs(file: string, arg: unknown, opts: SpawnOpts = {}): Child {
  return spawnNode([...(opts.nodeArgs ?? []), '--import', TSX, resolve(REPO, file), JSON.stringify(arg ?? {})], opts)
}

export function spawnNode(args: string[], opts: SpawnOpts = {}): Child {
  const proc = spawn(process.execPath, args, {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(proc)
  const messages: any[] = []
  const waiters: Array<() => void> = []
  let err = ''
  let out = ''
  let buf = ''
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out = (out + chunk).slice(-8192)
    buf += chunk
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim()
      buf = buf.slice(i + 1)
      if (!line.startsWith('{')) continue
      try {
        messages.push(JSON.parse(line))
      } catch {
        continue
      }
      for (const w of waiters.splice(0)) w()
    }
  })
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-8192)
    if (process.env.BENCH_VERBOSE) process.stderr.write(chunk)
  })
  let exited = false
  const exit = new Promise<number | null>((res) =>
    proc.on('exit', (code) => {
      exited = true
      live.delete(proc)
      for (const w of waiters.splice(0)) w()
      res(code)
    }),
  )
  const child: Child = {
    proc,
    pid: proc.pid!,
    stderr: () => err,
    stdout: () => out,
    exited: exit,
    next<T>(pick: (msg: any) => T | undefined, timeoutMs: number): Promise<T> {
      const deadline = Date.now() + timeoutMs
      return new Promise<T>((res, rej) => {
        let seen = 0
        const timer = setTimeout(check, timeoutMs + 5)
        function check() {
          for (; seen < messages.length; seen++) {
            const v = pick(messages[seen])
            if (v !== undefined) {
              clearTimeout(timer)
              messages.splice(0, seen + 1)
              return res(v)
            }
          }
          if (exited || Date.now() >= deadline) {
            clearTimeout(timer)
            return rej(new Error(`${args.at(-2) ?? args[0]}: ${exited ? 'exited' : 'timed out'} before answering. stderr:\n${err.slice(-2000)}`))
          }
          waiters.push(check)
        }
        check()
      })
    },
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (exited) return proc.exitCode
      proc.kill(signal)
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
      const code = await exit
      clearTimeout(t)
      return code
    },
  }
  return child
}

/** Kills every child still running (by its own pid), e.g. when a scenario throws. */
export function killAll(): void {
  for (const p of live) p.kill('SIGKILL')
}
process.on('exit', killAll)

/** In a child: write one JSON message for the parent. */
export function send(msg: unknown): void {
  process.stdout.write(JSON.stringify(msg) + '\n')
}

/** In a child: the JSON argument the parent passed. */
export function childArg<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T
}
