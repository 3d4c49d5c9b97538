// The spool on a shared host, attacked by another account as the issue describes: a spool folder
// pre-created by someone else (mode 0777, a forged event inside), a symlink in place of spool.jsonl,
// and what the bridge creates on its own. Two real Unix users run php; the real server listens.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BRIDGE, startBridgeStack, unixUser, type BridgeStack, type UnixUser } from './support.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { seedEndpoint } from '../helpers/seed.js'
import { EXAMPLES } from '../../server/events/examples.js'

let stack: BridgeStack
let receiver: Receiver
let victim: UnixUser
let mallory: UnixUser
let n = 0

/** A folder for one test, owned by `owner` with `mode`. */
function folder(owner: UnixUser, mode: number): string {
  const dir = join(stack.work, `dir-${++n}`)
  mkdirSync(dir)
  chownSync(dir, owner.uid, owner.gid)
  chmodSync(dir, mode)
  return dir
}

/** What mallory plants: a well-formed event for the victim's user id. */
function forgedLine(): string {
  return JSON.stringify({ ...EXAMPLES['email.failed'], id: `evt_FORGED${Date.now()}ABCDEFGHJK`, user_id: 'usr_victim', occurred_at: new Date().toISOString() })
}

const storedEvents = () => stack.db.db.selectFrom('events').select(['id']).execute()
const closedPort = { QSM_WEBHOOKS_URL: 'http://127.0.0.1:9' }

describe('the bridge spool on a host shared with other accounts', () => {
  beforeAll(async () => {
    victim = unixUser('qsm-t-victim')
    mallory = unixUser('qsm-t-mallory')
    stack = await startBridgeStack()
    receiver = await startReceiver()
  })
  beforeEach(async () => {
    for (const table of ['delivery_attempts', 'deliveries', 'events', 'endpoints'] as const) await stack.db.db.deleteFrom(table).execute()
    receiver.received.length = 0
    await seedEndpoint(stack.db, { userId: 'usr_victim', eventTypes: ['*'], url: `${receiver.url}/hook` })
  })
  afterAll(async () => {
    await receiver?.close()
    await stack?.close()
  })

  it('refuses to flush a spool folder another account created (0777, a forged event inside), and sends nothing', async () => {
    const shared = folder(mallory, 0o777)
    writeFileSync(join(shared, 'spool.jsonl'), forgedLine() + '\n')
    chownSync(join(shared, 'spool.jsonl'), mallory.uid, mallory.gid)
    const flush = stack.php([stack.bridge, 'flush'], { as: victim, env: { QSM_SPOOL_DIR: shared } })
    expect(flush.status).toBe(1)
    expect(flush.stderr).toContain(`is refused: it belongs to user ${mallory.name}`)
    expect(flush.stderr).toContain(`not to user ${victim.name}`)
    expect(flush.stdout).not.toMatch(/sent 1/)
    await new Promise((r) => setTimeout(r, 300))
    expect(await storedEvents()).toEqual([])
    expect(receiver.received).toEqual([])
  })

  it('refuses a spool folder of its own that group or others can write', () => {
    const careless = folder(victim, 0o777)
    writeFileSync(join(careless, 'spool.jsonl'), forgedLine() + '\n')
    const flush = stack.php([stack.bridge, 'flush'], { as: victim, env: { QSM_SPOOL_DIR: careless } })
    expect(flush.status).toBe(1)
    expect(flush.stderr).toContain('group or other users can write it (mode 0777)')
  })

  it('still sends an event directly while its spool folder is refused, and says in error_log why it cannot spool', async () => {
    const shared = folder(mallory, 0o777)
    const up = stack.emit('usr_victim', 'email.received', { as: victim, env: { QSM_SPOOL_DIR: shared } })
    expect(up.ok).toEqual([true])
    expect(await storedEvents()).toHaveLength(1)
    const down = stack.emit('usr_victim', 'email.received', { as: victim, env: { QSM_SPOOL_DIR: shared, ...closedPort } })
    expect(down.ok).toEqual([false])
    expect(down.stderr).toMatch(/was not spooled: the spool folder .* is refused/)
    expect(readdirSync(shared)).toEqual([])
  })

  it('never follows a symlink planted as spool.jsonl: a root-only file is not copied into a spool', () => {
    const secret = join(stack.work, `root-only-${++n}.txt`)
    writeFileSync(secret, 'ROOT-ONLY-CONTENT\n', { mode: 0o600 })
    const own = folder(victim, 0o700)
    symlinkSync(secret, join(own, 'spool.jsonl'))
    const emit = stack.emit('usr_victim', 'email.failed', { as: victim, env: { QSM_SPOOL_DIR: own, ...closedPort } })
    expect(emit.ok).toEqual([false])
    expect(emit.stderr).toContain('it is a symlink, and the spool never follows one')
    const flush = stack.php([stack.bridge, 'flush'], { as: victim, env: { QSM_SPOOL_DIR: own } })
    expect(flush.status).toBe(1)
    expect(flush.stderr).toContain('symlink')
    // The link is still a link to the untouched file, and no real file in the folder holds its content.
    expect(lstatSync(join(own, 'spool.jsonl')).isSymbolicLink()).toBe(true)
    expect(readFileSync(secret, 'utf8')).toBe('ROOT-ONLY-CONTENT\n')
    for (const name of readdirSync(own)) {
      const path = join(own, name)
      if (!lstatSync(path).isSymbolicLink()) expect(readFileSync(path, 'utf8'), name).not.toContain('ROOT-ONLY')
    }
  })

  it('keeps its default spool beside the bridge in the app, not in a shared temp folder, with 0700 and 0600 modes', () => {
    const app = folder(victim, 0o755)
    const copy = join(app, 'qsm-bridge.php')
    cpSync(BRIDGE, copy)
    chownSync(copy, victim.uid, victim.gid)
    const emit = stack.php([stack.cli, 'emit', 'usr_victim', 'email.failed', JSON.stringify(EXAMPLES['email.failed'].data)], { as: victim, env: { QSM_TEST_BRIDGE: copy, ...closedPort } })
    expect(emit.status, emit.stderr).toBe(0)
    const spool = join(app, 'qsm-webhooks-spool')
    expect(statSync(spool).mode & 0o777).toBe(0o700)
    expect(statSync(spool).uid).toBe(victim.uid)
    const files = readdirSync(spool).sort()
    expect(files).toEqual(['.htaccess', 'last-flush', 'spool.jsonl', 'spool.lock'].filter((f) => files.includes(f)))
    expect(files).toContain('spool.jsonl')
    for (const name of files) expect(statSync(join(spool, name)).mode & 0o777, name).toBe(0o600)
    expect(existsSync(join(app, 'qsm-webhooks-spool', 'spool.jsonl'))).toBe(true)
  })
})
