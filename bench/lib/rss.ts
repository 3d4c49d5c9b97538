// Memory and CPU of a process, read from /proc like `ps` would: VmRSS (resident now), VmHWM (peak
// resident since start) and utime+stime. Sampling every 200 ms catches the loaded peak even when a
// process's HWM was set by something else (HWM is reported too).
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

const TICKS = 100 // USER_HZ on Linux

export interface Mem {
  rssMB: number
  hwmMB: number
}

export function readMem(pid: number): Mem | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0)
    return { rssMB: mb(kb('VmRSS')), hwmMB: mb(kb('VmHWM')) }
  } catch {
    return null
  }
}

export function cpuSeconds(pid: number): number {
  try {
    // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / TICKS
  } catch {
    return 0
  }
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10

export interface Usage {
  rssMaxMB: number
  hwmMB: number
  cpuSec: number
  /** CPU as a share of one core over the sampling window. */
  cpuCores: number
}

/** Samples processes until stop(); returns per-label peak RSS, final HWM and CPU used in between. */
export function sampleUsage(pids: Record<string, number>, everyMs = 200) {
  const peak: Record<string, number> = {}
  const cpu0: Record<string, number> = {}
  for (const [k, pid] of Object.entries(pids)) cpu0[k] = cpuSeconds(pid)
  const t0 = Date.now()
  const tick = () => {
    for (const [k, pid] of Object.entries(pids)) {
      const m = readMem(pid)
      if (m && m.rssMB > (peak[k] ?? 0)) peak[k] = m.rssMB
    }
  }
  tick()
  const timer = setInterval(tick, everyMs)
  return {
    stop(): Record<string, Usage> {
      clearInterval(timer)
      tick()
      const secs = (Date.now() - t0) / 1000
      const out: Record<string, Usage> = {}
      for (const [k, pid] of Object.entries(pids)) {
        const used = cpuSeconds(pid) - cpu0[k]!
        out[k] = { rssMaxMB: peak[k] ?? 0, hwmMB: readMem(pid)?.hwmMB ?? 0, cpuSec: Math.round(used * 100) / 100, cpuCores: Math.round((used / secs) * 100) / 100 }
      }
      return out
    },
  }
}

/** The pid of a system daemon (mariadbd, redis-server on a port) for footprint counting. */
export function pidOf(name: string): number | null {
  try {
    const out = execFileSync('pgrep', ['-o', '-x', name], { encoding: 'utf8' }).trim()
    return out ? Number(out) : null
  } catch {
    return null
  }
}
