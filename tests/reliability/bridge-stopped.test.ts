// The server stopped while the PHP bridge emits, then `php bridge/qsm-bridge.php flush` once it is
// back: end to end, with the real server process (`node --import tsx server/main.ts`, its own
// in-process delivery loop), the real bridge under php-cli, and a loopback ledger receiver. What
// must hold: every event the mail app emitted is stored once and delivered once to each matching
// endpoint, whether it went through at once or through the spool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { dialects } from '../helpers/dialects.js'
import { createTestDatabase } from '../helpers/db.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { freePort, startServerProcess } from '../helpers/server-process.js'
import { connect, type Db } from '../../server/db/connect.js'
import { mintToken } from '../../server/auth/token.js'
import { EXAMPLES } from '../../server/events/examples.js'
import { checkLedger, deliveredPairs, describeLedger, startLedgerReceiver, type LedgerEndpoint, type LedgerReceiver } from './ledger.js'
import { sleep } from './support.js'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BRIDGE = join(ROOT, 'bridge/qsm-bridge.php')
const CLI = join(ROOT, 'tests/bridge/fixtures/bridge-cli.php')
const phpAvailable = spawnSync('php', ['-v']).status === 0


for (const dialect of dialects()) {
  describe.skipIf(!phpAvailable)(`${dialect}: server stopped while the PHP bridge emits`, () => {
    let work: string
    let spoolDir: string
    let port: number
    let dbUrl: string
    let dropDb: () => Promise<void>
    let db: Db
    let receiver: LedgerReceiver
    let server: ChildProcess | undefined
    let serverOutput = ''

    const baseUrl = () => `http://127.0.0.1:${port}`
    const phpEnv = () => ({ PATH: process.env.PATH ?? '', QSM_WEBHOOKS_URL: baseUrl(), QSM_BRIDGE_SECRET: TEST_SECRETS.QSM_BRIDGE_SECRET, QSM_SPOOL_DIR: spoolDir })

    async function startServer(): Promise<void> {
      server = await startServerProcess({
        cwd: work,
        env: { ...process.env, ...TEST_SECRETS, PORT: String(port), HOST: '127.0.0.1', QSM_DATABASE_URL: dbUrl, QSM_LOG_LEVEL: 'warn', QSM_ALLOW_PRIVATE_TARGETS: 'true' },
        port,
        onOutput: (c) => (serverOutput += c),
      })
    }

    async function stopServer(): Promise<number | string | null> {
      const child = server
      server = undefined
      if (!child || child.exitCode !== null) return child?.exitCode ?? null
      const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)))
      child.kill('SIGTERM')
      return exited
    }

    /** `php bridge-cli.php emit …` in the background, as the mail app would call qsm_emit() in a loop. */
    function emitting(userId: string, type: keyof typeof EXAMPLES, count: number): Promise<{ ok: boolean; ms: number }[]> {
      return new Promise((resolveEmit, reject) => {
        const child = spawn('php', [CLI, 'emit', userId, type, JSON.stringify(EXAMPLES[type].data), String(count)], { env: phpEnv() })
        let out = ''
        let err = ''
        child.stdout.on('data', (c) => (out += c))
        child.stderr.on('data', (c) => (err += c))
        child.on('exit', (code) => (code === 0 ? resolveEmit(JSON.parse(out)) : reject(new Error(`php emit failed (${code}): ${err}`))))
      })
    }

    /** Ids of the events in the spool, one per line of spool.jsonl. */
    const spooledIds = (): string[] => {
      const file = join(spoolDir, 'spool.jsonl')
      if (!existsSync(file)) return []
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id)
    }
    const spooled = () => spooledIds().length

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'qsm-bridge-stop-'))
      spoolDir = join(work, 'spool')
      mkdirSync(spoolDir)
      port = await freePort()
      const created = await createTestDatabase(dialect)
      dbUrl = dialect === 'sqlite' ? `sqlite:${join(work, 'qsm.db')}` : created.url
      dropDb = created.drop
      receiver = await startLedgerReceiver(() => ({ status: 200, delayMs: 5 }))
      await startServer()
      db = await connect(dbUrl)
    }, 60_000)

    afterAll(async () => {
      await stopServer()
      await db?.close()
      await receiver?.close()
      await dropDb?.()
      rmSync(work, { recursive: true, force: true })
    })

    it('`php bridge/qsm-bridge.php flush` later delivers everything once', async () => {
      // Endpoints made through the API, as a user would, so the ledger knows their secrets.
      const endpoints: LedgerEndpoint[] = []
      for (const [user, patterns] of [['u1', ['*']], ['u1', ['email.*']], ['u2', ['*']], ['u2', ['usage.*']]] as const) {
        const url = `${receiver.url}/${user}/${endpoints.length}`
        const res = await fetch(`${baseUrl()}/v1/webhooks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await mintToken(TEST_SECRETS.QSM_BRIDGE_SECRET, user, Date.now())}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url, event_types: patterns }),
        })
        expect(res.status).toBe(201)
        const body = (await res.json()) as { id: string; secret: string }
        endpoints.push({ id: body.id, userId: user, url, patterns: [...patterns], secrets: [body.secret] })
      }

      // The mail app keeps emitting; the server is stopped once a few events are in.
      const started = Date.now()
      const during = [emitting('u1', 'email.failed', 20), emitting('u2', 'usage.threshold_reached', 20)]
      const eventCount = async () => Number((await db.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
      while ((await eventCount()) < 4 && Date.now() - started < 20_000) await sleep(10)
      const exitCode = await stopServer()
      expect(exitCode, serverOutput).toBe(0)
      // Then more, with the server down for good.
      const after = [emitting('u1', 'email.received', 5), emitting('u2', 'email.spam', 5)]
      const results = (await Promise.all([...during, ...after])).flat()
      const emitted = results.length
      const tookAtOnce = results.filter((r) => r.ok).length
      expect(emitted).toBe(50)
      expect(tookAtOnce).toBeGreaterThan(0)
      expect(tookAtOnce).toBeLessThan(emitted)
      // With the server down, every emitted event is stored or spooled (or both: one the server
      // stored but could not answer before it closed is spooled too, and the flush gets
      // "duplicate"). A refused event need not still be in the spool: the other emitter's next
      // qsm_emit may have resent it inline while the server was still answering.
      const spoolIds = spooledIds()
      const inSpool = spoolIds.length
      const storedIds = (await db.db.selectFrom('events').select('id').execute()).map((r) => r.id)
      const somewhere = new Set([...storedIds, ...spoolIds])
      expect(somewhere.size).toBe(emitted)
      expect(inSpool).toBeGreaterThan(0)
      // Down, qsm_emit gave up within its 2 s budget each time (the mail app never waits long).
      expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(2_500)

      await startServer()
      const flush = spawnSync('php', [BRIDGE, 'flush'], { env: phpEnv(), encoding: 'utf8', timeout: 60_000 })
      expect(flush.status, `${flush.stdout}${flush.stderr}`).toBe(0)
      const [, sent, duplicates, rejected, remaining] = /sent (\d+), duplicates (\d+), rejected (\d+), remaining (\d+)/.exec(flush.stdout)!.map(Number)
      expect({ sent: sent! + duplicates!, rejected, remaining }).toEqual({ sent: inSpool, rejected: 0, remaining: 0 })
      expect(spooled()).toBe(0)
      expect(existsSync(join(spoolDir, 'rejected.jsonl'))).toBe(false)

      // Every emitted event is stored exactly once (ids are the primary key): 50 rows, no more.
      const accepted = await db.db.selectFrom('events').select(['id', 'user_id', 'type']).execute()
      expect(accepted).toHaveLength(emitted)
      const want = checkLedger({ accepted, endpoints, hits: [] }).expected
      const delivered = () => deliveredPairs({ accepted, endpoints, hits: receiver.hits })
      await receiver.until(() => delivered() >= want, 30_000)
      await sleep(500) // room for a late duplicate to show up
      const report = checkLedger({ accepted, endpoints, hits: receiver.hits })
      expect(report.missing, describeLedger(report)).toEqual([])
      expect(report.duplicates, describeLedger(report)).toEqual([])
      expect(report.unexpected).toEqual([])
      expect(report.keyMismatch).toEqual([])
      expect(report.badSignature).toEqual([])
      const pending = await db.db.selectFrom('deliveries').select('id').where('status', '!=', 'succeeded').execute()
      expect(pending).toEqual([])
      // eslint-disable-next-line no-console
      console.log(`[reliability] ${dialect} bridge with the server stopped: ${emitted} emitted, ${tookAtOnce} taken at once, ${inSpool} spooled; flush: ${flush.stdout.trim()}; ${describeLedger(report)}`)
    }, 120_000)
  })
}
