// The real processes a test starts and must not leave behind: a ledger receiver and a work folder
// for the describe block, and the web server and worker each test may start, SIGKILLed after it
// whatever it asserted.
import { afterAll, afterEach, beforeAll } from 'vitest'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLedgerReceiver, type LedgerReceiver } from './ledger.js'
import type { WorkerProc } from './workers.js'

export interface Processes {
  /** Valid inside tests (after beforeAll). */
  receiver: LedgerReceiver
  /** A folder for the server's cwd (it reads and may write .env there). */
  work: string
  server?: ChildProcess
  worker?: WorkerProc
}

export function useProcesses(folderPrefix: string): Processes {
  const p = {} as Processes
  beforeAll(async () => {
    p.receiver = await startLedgerReceiver()
    p.work = mkdtempSync(join(tmpdir(), folderPrefix))
  })
  afterEach(async () => {
    p.server?.kill('SIGKILL')
    await p.worker?.stop('SIGKILL')
    p.server = undefined
    p.worker = undefined
  })
  afterAll(async () => {
    await p.receiver?.close()
    if (p.work) rmSync(p.work, { recursive: true, force: true })
  })
  return p
}
