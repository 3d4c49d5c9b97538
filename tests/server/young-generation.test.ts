// The young-generation ceiling (server/young-generation.ts): V8's own flag cannot be changed after
// start, so the service holds the young generation at its ceiling by its growth factor.
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { collectingSteadily, youngCeilingApplies, youngGrowthFactor } from '../../server/young-generation.js'
import { ConfigError, loadConfig } from '../../server/config/load.js'
import { TEST_SECRETS } from '../helpers/config.js'

const MB = 1024 * 1024

describe('young generation ceiling', () => {
  it('holds the young generation at 16 MB by default', () => {
    expect(loadConfig(TEST_SECRETS).heapYoungMb).toBe(16)
    expect(youngGrowthFactor(16 * MB, 16, true)).toBe(1)
    expect(youngGrowthFactor(8 * MB, 16, true)).toBe(2)
  })

  it('lets it grow only while the process collects young garbage steadily, not in a burst', () => {
    // Booting: 7 collections in a quarter of a second, then nothing.
    const boot = [30, 60, 100, 150, 200, 230, 260]
    for (const now of [260, 900, 1250, 2100]) expect(collectingSteadily(boot, now)).toBe(false)
    // Load: 3 a second for two seconds.
    const load = [5000, 5300, 5600, 6000, 6300, 6600]
    expect(collectingSteadily(load, 6600)).toBe(true)
    expect(collectingSteadily(load, 5600)).toBe(false)
    // Two quiet seconds after the load ends: not busy any more.
    expect(collectingSteadily(load, 8700)).toBe(false)
    expect(youngGrowthFactor(2 * MB, 16, false)).toBe(1)
    expect(youngGrowthFactor(2 * MB, 16, true)).toBe(2)
  })

  it('leaves V8 its own young generation for 0, or when the operator set its size', () => {
    expect(loadConfig({ ...TEST_SECRETS, QSM_HEAP_YOUNG_MB: '0' }).heapYoungMb).toBe(0)
    expect(youngCeilingApplies(0)).toBe(false)
    expect(youngCeilingApplies(16, [], '--max-semi-space-size=4')).toBe(false)
    expect(youngCeilingApplies(16, ['--max_semi_space_size=4'])).toBe(false)
    expect(youngCeilingApplies(16, [], '--max-old-space-size=96')).toBe(true)
  })

  it('names the field when the value is out of range', () => {
    expect(() => loadConfig({ ...TEST_SECRETS, QSM_HEAP_YOUNG_MB: '-1' })).toThrow(ConfigError)
    try {
      loadConfig({ ...TEST_SECRETS, QSM_HEAP_YOUNG_MB: 'lots' })
      expect.unreachable('lots was accepted')
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(/QSM_HEAP_YOUNG_MB/)
    }
  })

  // In a child, as the service runs: work in turns of the event loop (collections report between
  // them), allocating short-lived objects fast. V8 alone grows its young generation to 32 MB.
  it('keeps a busy process under the ceiling, where V8 alone grows to twice it', () => {
    const program = (cap: boolean) => `
      import(${JSON.stringify(resolve('server/young-generation.ts'))}).then(async ({ capYoungGeneration }) => {
        ${cap ? 'capYoungGeneration(16)' : ''}
        const v8 = await import('node:v8')
        let peak = 0, ring = new Array(2000)
        for (let turn = 0; turn < 300; turn++) {
          for (let i = 0; i < 20000; i++) ring[i % ring.length] = { id: 'evt_' + i, body: JSON.stringify({ n: i, pad: 'y'.repeat(64) }) }
          peak = Math.max(peak, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)
          await new Promise((r) => setImmediate(r))
        }
        console.log(JSON.stringify({ peak }))
      })`
    const run = (cap: boolean) => {
      const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', program(cap)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
      expect(out.status, out.stderr).toBe(0)
      return JSON.parse(out.stdout).peak as number
    }
    const capped = run(true)
    const own = run(false)
    console.log(`young generation: ${capped / MB} MB with the ceiling, ${own / MB} MB without`)
    expect(own).toBeGreaterThan(16 * MB)
    expect(capped).toBeLessThanOrEqual(16 * MB)
  }, 60_000)

  // As server/main.ts starts: hold first, then a burst of allocation (loading, migrating), a quiet
  // spell (idle), then steady allocation in turns of the event loop (load).
  it('keeps its starting size through a burst and an idle spell, and grows under steady load', () => {
    const program = `
      import(${JSON.stringify(resolve('server/young-generation.ts'))}).then(async ({ holdYoungGeneration, capYoungGeneration }) => {
        holdYoungGeneration()
        const v8 = await import('node:v8')
        const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
        const start = size()
        let keep = []
        for (let i = 0; i < 400000; i++) keep[i % 50000] = { id: 'evt_' + i, body: 'x'.repeat(32) }
        capYoungGeneration(16)
        await new Promise((r) => setTimeout(r, 1500))
        const afterIdle = size()
        let peak = 0
        const until = Date.now() + 4000
        while (Date.now() < until) {
          for (let i = 0; i < 20000; i++) keep[i % keep.length] = { id: 'evt_' + i, body: JSON.stringify({ n: i, pad: 'y'.repeat(64) }) }
          peak = Math.max(peak, size())
          await new Promise((r) => setImmediate(r))
        }
        console.log(JSON.stringify({ start, afterIdle, peak }))
      })`
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', program], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
    expect(out.status, out.stderr).toBe(0)
    const { start, afterIdle, peak } = JSON.parse(out.stdout) as { start: number; afterIdle: number; peak: number }
    console.log(`young generation: ${start / MB} MB at the start, ${afterIdle / MB} MB after the burst and the idle spell, ${peak / MB} MB at most under load`)
    expect(afterIdle).toBeLessThanOrEqual(start)
    expect(peak).toBeGreaterThan(start)
    expect(peak).toBeLessThanOrEqual(16 * MB)
  }, 60_000)
})
