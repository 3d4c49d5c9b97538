// Throwaway local accounts for tests that need more than one Unix user (a shared host's accounts,
// the app user Passenger runs as). Created once with useradd (CI runs as root) and kept.
import { spawnSync } from 'node:child_process'

export interface UnixUser { name: string; uid: number; gid: number }

const exists = (name: string) => spawnSync('id', ['-u', name]).status === 0

/** The account, made when missing. Test files run in parallel, so a busy /etc/passwd lock is retried. */
export function unixUser(name: string): UnixUser {
  let error = ''
  for (let attempt = 0; attempt < 20 && !exists(name); attempt++) {
    const made = spawnSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', name], { encoding: 'utf8' })
    if (made.status === 0) break
    error = made.stderr
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250)
  }
  if (!exists(name)) throw new Error(`useradd ${name} failed (the test needs root): ${error}`)
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim())
  return { name, uid: id('-u'), gid: id('-g') }
}
