// The bridge where the mail app runs it: inside a PHP web request (Apache with mod_php, prefork,
// PHP as www-data), against the real server up, refusing connections, and accepting but never
// answering. The page must come back within the bridge's 2 s budget every time, and every event
// must end up stored exactly once after the cron flush.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostingUnavailable, startApache, type Apache } from './apache.js'
import { ROOT } from './app-install.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { freePort, startServerProcess } from '../helpers/server-process.js'
import { connect, type Db } from '../../server/db/connect.js'
import { EXAMPLES } from '../../server/events/examples.js'

const unavailable = hostingUnavailable()
if (unavailable && process.env.CI) throw new Error(`The hosting tests must run in CI, but ${unavailable}`)

// The bridge's budget is 2 s; the page itself (PHP start, the request) may add a little.
const PAGE_BUDGET_MS = 2_500
// www-data, the user Debian's Apache (and so mod_php) runs requests as.
const WWW = { uid: Number(spawnSync('id', ['-u', 'www-data'], { encoding: 'utf8' }).stdout), gid: Number(spawnSync('id', ['-g', 'www-data'], { encoding: 'utf8' }).stdout) }

let dir: string
let apache: Apache
let server: ChildProcess
let db: Db
let hang: Server
const hanging: Socket[] = []
let pagePort: number
let spool: string
let upPort: number

const emitPage = async (target: string, transport = 'curl') => {
  const started = Date.now()
  const res = await fetch(`http://127.0.0.1:${pagePort}/emit.php?server=${target}&transport=${transport}`)
  const body = (await res.json()) as { ok: boolean; ms: number }
  return { status: res.status, ...body, pageMs: Date.now() - started }
}
const storedIds = async () => (await db.db.selectFrom('events').select('id').execute()).map((r) => r.id)

const PAGE = `<?php
// A page of the mail app that emits an event during a web request, as the mail pipeline does.
$targets = ['up' => getenv('QSM_TEST_UP'), 'down' => getenv('QSM_TEST_DOWN'), 'hang' => getenv('QSM_TEST_HANG')];
define('QSM_WEBHOOKS_URL', $targets[$_GET['server']]);
define('QSM_BRIDGE_TRANSPORT', $_GET['transport'] === 'streams' ? 'streams' : 'auto');
require __DIR__ . '/lib/qsm-bridge.php';
$start = microtime(true);
$ok = qsm_emit('usr_web', 'email.failed', json_decode(file_get_contents(__DIR__ . '/data.json'), true));
header('Content-Type: application/json');
echo json_encode(['ok' => $ok, 'ms' => (microtime(true) - $start) * 1000]);
`

// Apache, Passenger and a cold app are slow on a busy two-core machine; each step gets a minute.
describe.skipIf(unavailable)('the bridge inside a PHP web request (Apache + mod_php)', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qsm-php-request-'))
    upPort = await freePort()
    const downPort = await freePort()
    pagePort = await freePort()
    server = await startServerProcess({
      cwd: dir, port: upPort,
      env: { ...process.env, ...TEST_SECRETS, PORT: String(upPort), HOST: '127.0.0.1', QSM_DATABASE_URL: `sqlite:${join(dir, 'db', 'qsm.db')}`, QSM_LOG_LEVEL: 'warn' },
    })
    db = await connect(`sqlite:${join(dir, 'db', 'qsm.db')}`)
    hang = createServer((socket) => void hanging.push(socket))
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r))

    const app = join(dir, 'mailapp')
    mkdirSync(join(app, 'lib'), { recursive: true })
    cpSync(join(ROOT, 'bridge/qsm-bridge.php'), join(app, 'lib/qsm-bridge.php'))
    writeFileSync(join(app, 'emit.php'), PAGE)
    writeFileSync(join(app, 'data.json'), JSON.stringify(EXAMPLES['email.failed'].data))
    // The spool belongs to the user PHP runs as, outside the web root, 0700.
    spool = join(dir, 'spool')
    mkdirSync(spool, { mode: 0o700 })
    chownSync(spool, WWW.uid, WWW.gid)
    chmodSync(dir, 0o755)
    const settings = {
      QSM_BRIDGE_SECRET: TEST_SECRETS.QSM_BRIDGE_SECRET, QSM_SPOOL_DIR: spool, QSM_TEST_UP: `http://127.0.0.1:${upPort}`,
      QSM_TEST_DOWN: `http://127.0.0.1:${downPort}`, QSM_TEST_HANG: `http://127.0.0.1:${(hang.address() as { port: number }).port}`,
    }
    apache = await startApache({
      dir: join(dir, 'apache'),
      ports: [pagePort],
      modules: ['env', 'php'],
      sites: `
<VirtualHost 127.0.0.1:${pagePort}>
  DocumentRoot ${app}
${Object.entries(settings).map(([k, v]) => `  SetEnv ${k} "${v}"`).join('\n')}
  <Directory ${app}>
    Require all granted
    <FilesMatch "\\.php$">
      SetHandler application/x-httpd-php
    </FilesMatch>
  </Directory>
</VirtualHost>
`,
    })
  }, 60_000)

  afterAll(async () => {
    await apache?.stop()
    for (const s of hanging) s.destroy()
    hang?.close()
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r))
      server.kill('SIGTERM')
      await exited
    }
    await db?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('returns at once with the server up, and the event is stored', async () => {
    const page = await emitPage('up')
    expect(page).toMatchObject({ status: 200, ok: true })
    expect(page.pageMs).toBeLessThan(PAGE_BUDGET_MS)
    expect(await storedIds()).toHaveLength(1)
  })

  it('returns within the budget with the server down, and spools the event', async () => {
    const page = await emitPage('down')
    expect(page).toMatchObject({ status: 200, ok: false })
    expect(page.pageMs).toBeLessThan(PAGE_BUDGET_MS)
    expect(readdirSync(spool)).toContain('spool.jsonl')
  })

  it('returns within the budget with the server accepting but never answering, over curl and over PHP streams', async () => {
    for (const transport of ['curl', 'streams']) {
      const page = await emitPage('hang', transport)
      expect(page, transport).toMatchObject({ status: 200, ok: false })
      expect(page.pageMs, transport).toBeLessThan(PAGE_BUDGET_MS)
      expect(page.ms, transport).toBeGreaterThanOrEqual(1_900)
    }
    expect(hanging.length).toBeGreaterThanOrEqual(2)
  })

  it('stores every event exactly once after the cron flush, even those the hanging server may have read', async () => {
    const flush = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn('php', [join(dir, 'mailapp/lib/qsm-bridge.php'), 'flush'], {
        uid: WWW.uid, gid: WWW.gid, cwd: dir,
        env: { PATH: process.env.PATH ?? '', QSM_WEBHOOKS_URL: `http://127.0.0.1:${upPort}`, QSM_BRIDGE_SECRET: TEST_SECRETS.QSM_BRIDGE_SECRET, QSM_SPOOL_DIR: spool },
      })
      let out = ''
      child.stdout.on('data', (c) => (out += c))
      child.stderr.on('data', (c) => (out += c))
      child.on('close', (status) => resolve({ status, out }))
    })
    expect(flush.status, flush.out).toBe(0)
    expect(flush.out).toContain('sent 3, duplicates 0, rejected 0, remaining 0')
    const ids = await storedIds()
    expect(ids).toHaveLength(4)
    expect(new Set(ids).size).toBe(4)
    expect(apache.logs()).not.toMatch(/PHP (Warning|Deprecated|Notice|Fatal)/)
  })
})
