// The machine a result was measured on, recorded in every result file: cores, CPU model, kernel,
// Node, database versions, load average at start, and the disk's synchronous write rate (the
// physical limit on durable commits: every fsynced ingest or ack is bounded by it).
import { openSync, writeSync, closeSync, rmSync, constants, readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem, release } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import { nowMs } from './stats.js'

export interface Machine {
  cores: number
  cpuModel: string
  memoryGiB: number
  kernel: string
  os: string
  node: string
  undici: string
  sqlite: string
  mariadb: string | null
  redis: string | null
  fsyncPerSec: number
  fsyncMs: number
  loadAvgAtStart: number[]
}

/** 4 KiB writes to one block through O_DSYNC for `ms`: each write returns only once it is on disk. */
export function fsyncRate(dir: string, ms = 1000): { perSec: number; msEach: number } {
  const file = join(dir, 'fsync-probe.bin')
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC, 0o600)
  const block = Buffer.alloc(4096, 1)
  let n = 0
  const t0 = nowMs()
  while (nowMs() - t0 < ms) {
    writeSync(fd, block, 0, block.length, 0)
    n++
  }
  const elapsed = nowMs() - t0
  closeSync(fd)
  rmSync(file, { force: true })
  return { perSec: Math.round((n / elapsed) * 1000), msEach: Math.round((elapsed / n) * 1000) / 1000 }
}

function osName(): string {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

function redisVersion(): string | null {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? null
  } catch {
    return null
  }
}

export function machineInfo(fsyncDir: string, mariadb: string | null): Machine {
  const req = createRequire(import.meta.url)
  const Sqlite = req('better-sqlite3')
  const mem = new Sqlite(':memory:')
  const sqlite = (mem.prepare('select sqlite_version() as v').get() as { v: string }).v
  mem.close()
  const fs = fsyncRate(fsyncDir)
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    os: osName(),
    node: process.version,
    undici: (req('undici/package.json') as { version: string }).version,
    sqlite,
    mariadb,
    redis: redisVersion(),
    fsyncPerSec: fs.perSec,
    fsyncMs: fs.msEach,
    loadAvgAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  }
}
