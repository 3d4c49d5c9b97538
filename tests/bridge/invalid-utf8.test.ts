// Remote mail servers' reply text is often not UTF-8. json_encode refuses such bytes; the bridge
// must neither drop the event nor let it vanish: it is delivered with the bytes replaced and a
// flag, or (for data no JSON can hold) kept in rejected.jsonl.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BRIDGE, startBridgeStack, type BridgeStack } from './support.js'
import { EXAMPLES } from '../../server/events/examples.js'

let stack: BridgeStack
let spool: string
let n = 0

// "Mailbox full" in Latin-1 with an accented byte, as a French server might answer.
const failedWithLatin1 = () => {
  const data = structuredClone(EXAMPLES['email.failed'].data) as { failure: { reason: string } }
  data.failure.reason = '@@hex:' + Buffer.from('Bo', 'latin1').toString('hex') + 'ee' + Buffer.from('te pleine', 'latin1').toString('hex')
  return data
}
const stored = () => stack.db.db.selectFrom('events').select(['id', 'payload']).execute()

// One test stops and restarts the server (tsx): on a busy two-core machine that alone can take 20 s.
describe('an event whose data is not valid UTF-8', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    stack = await startBridgeStack()
  })
  beforeEach(async () => {
    await stack.startServer()
    await stack.db.db.deleteFrom('events').execute()
    spool = join(stack.work, `spool-${++n}`)
    mkdirSync(spool, { mode: 0o700 })
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('is delivered with the bad bytes replaced by U+FFFD and flagged invalid_utf8_replaced', async () => {
    const emit = stack.emit('usr_7', 'email.failed', { data: failedWithLatin1(), env: { QSM_SPOOL_DIR: spool } })
    expect(emit.ok).toEqual([true])
    expect(emit.stderr).toContain('replaced with U+FFFD')
    const [event] = await stored()
    const payload = JSON.parse(event!.payload!)
    expect(payload.invalid_utf8_replaced).toBe(true)
    expect(payload.data.failure.reason).toBe('Bo\uFFFDte pleine')
  })

  it('is spooled, not lost, while the server is down, and the flush delivers it', async () => {
    await stack.stopServer()
    const emit = stack.emit('usr_7', 'email.failed', { data: failedWithLatin1(), env: { QSM_SPOOL_DIR: spool } })
    expect(emit.ok).toEqual([false])
    const line = JSON.parse(readFileSync(join(spool, 'spool.jsonl'), 'utf8').trim())
    expect(line.invalid_utf8_replaced).toBe(true)
    await stack.startServer()
    const flush = stack.php([BRIDGE, 'flush'], { env: { QSM_SPOOL_DIR: spool } })
    expect(flush.stdout).toContain('sent 1, duplicates 0, rejected 0, remaining 0')
    expect((await stored()).map((e) => e.id)).toEqual([line.id])
  })

  it('keeps data no JSON can hold (INF) in rejected.jsonl with the reason, instead of dropping it', async () => {
    const data = structuredClone(EXAMPLES['email.oversize'].data) as Record<string, unknown>
    data.size_bytes = '@@inf'
    const emit = stack.emit('usr_7', 'email.oversize', { data, env: { QSM_SPOOL_DIR: spool } })
    expect(emit.ok).toEqual([false])
    expect(emit.stderr).toContain('could not encode JSON')
    const rejected = readFileSync(join(spool, 'rejected.jsonl'), 'utf8')
    expect(rejected).toContain('"type":"email.oversize"')
    expect(await stored()).toEqual([])
  })
})
