// The DNS jam as issue 12 states it: the service runs as a child process in a private mount
// namespace (`unshare --mount`) where a resolv.conf saying `nameserver 127.0.0.1` is bind-mounted
// over /etc/resolv.conf, with QSM_DNS_SERVERS unset, so names are resolved through the system's
// configuration as in production. The DNS server on 127.0.0.1:53 answers the victim's names and
// never answers hangN.attacker.test. Six attacker creates, and the attacker's deliveries to such
// hosts, must not delay the victim's create or deliveries by more than 200 ms. The host's own
// /etc/resolv.conf is never touched (the bind mount lives in the child's namespace only).
//
// Needs root (unshare, mount, port 53). Elsewhere it is skipped with a message saying so, except
// in CI (CI set), where it runs and fails when it cannot.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { TEST_SECRETS } from '../helpers/config.js'
import { startDnsServer } from '../helpers/dns-server.js'
import { freePort, startServerProcess } from '../helpers/server-process.js'
import { mintToken } from '../../server/auth/token.js'
import { exampleEvent, overHttp, postEvents } from '../reliability/support.js'
import { tenantReceiver } from './support.js'

function missingPrerequisite(): string | null {
  if (process.platform !== 'linux') return 'Linux (mount namespaces)'
  if (process.getuid?.() !== 0) return 'root (for unshare --mount, mount --bind and port 53); this process is not root'
  const probe = spawnSync('unshare', ['--mount', 'true'], { encoding: 'utf8' })
  if (probe.status !== 0) return `a working \`unshare --mount\` (${probe.error?.message ?? probe.stderr.trim()})`
  return null
}
const missing = missingPrerequisite()
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false'

const HOST_RESOLV = '/etc/resolv.conf'

/** The host's resolv.conf as bytes plus inode and mtime: any write or replacement changes one. */
const hostResolv = () => {
  const st = statSync(HOST_RESOLV)
  return { text: readFileSync(HOST_RESOLV, 'utf8'), ino: st.ino, mtimeMs: st.mtimeMs }
}

async function dnsOnPort53(answers: Record<string, string>) {
  try {
    return await startDnsServer(answers, { port: 53 })
  } catch (err) {
    throw new Error(
      `cannot bind 127.0.0.1:53/udp (${(err as Error).message}): something else listens there (see \`ss -lunp 'sport = :53'\`). ` +
        'This test needs that port, since a resolv.conf names servers on port 53 only; a network namespace is not a way out, because the test database is on the host\'s loopback.',
    )
  }
}

if (missing && !inCi) {
  const why = `skipped: needs ${missing}. It runs in CI (CI=true) as root.`
  // eslint-disable-next-line no-console
  console.warn(`[isolation] dns-system-resolver.test.ts ${why}`)
  describe('a silent DNS server as the system resolver, in a private mount namespace', () => {
    it.skip(why, () => {})
  })
} else {
  describe('a silent DNS server as the system resolver, in a private mount namespace', () => {
    let dns: Awaited<ReturnType<typeof startDnsServer>>
    let hostBefore: ReturnType<typeof hostResolv>
    beforeAll(async () => {
      if (missing) throw new Error(`this test must run in CI (CI=${process.env.CI}) but cannot: it needs ${missing}`)
      hostBefore = hostResolv()
      dns = await dnsOnPort53({
        'victim.test': '127.0.0.1', 'before.victim.test': '93.184.215.14', 'during.victim.test': '93.184.215.14',
      })
    })
    afterAll(async () => {
      await dns?.close()
      if (hostBefore) expect(hostResolv(), "the host's /etc/resolv.conf after the tests").toEqual(hostBefore)
    })

    for (const dialect of dialects()) {
      describe(dialect, () => {
        const t = useTestDb(dialect)
        let receiver: Awaited<ReturnType<typeof tenantReceiver>>
        let work: string
        let child: ChildProcess | undefined
        let output = ''
        beforeEach(async () => {
          receiver = await tenantReceiver()
          work = mkdtempSync(join(tmpdir(), 'qsm-dns-ns-'))
          dns.asked.length = 0
          output = ''
        })
        afterEach(async () => {
          if (child && child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((r) => child!.once('exit', r))
            child.kill('SIGTERM')
            await exited
          }
          child = undefined
          await receiver.close()
          rmSync(work, { recursive: true, force: true })
        })

        /** The server in its own mount namespace, /etc/resolv.conf there naming 127.0.0.1 only. */
        async function startInNamespace(allowPrivateTargets: boolean) {
          const resolvConf = join(work, 'resolv.conf')
          writeFileSync(resolvConf, 'nameserver 127.0.0.1\n')
          const port = await freePort()
          const env: NodeJS.ProcessEnv = {}
          for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('QSM_') && k !== 'PORT') env[k] = v
          Object.assign(env, TEST_SECRETS, {
            PORT: String(port), HOST: '127.0.0.1', QSM_DATABASE_URL: t.url, QSM_LOG_LEVEL: 'warn', QSM_ALLOW_PRIVATE_TARGETS: String(allowPrivateTargets),
          })
          // unshare makes the new namespace's mounts private, so the bind mount stays inside it;
          // sh mounts, then execs node, so the resolver is built after the mount, in that process.
          child = await startServerProcess({
            cwd: work, env, port, onOutput: (c) => (output += c),
            prefix: ['unshare', '--mount', '--propagation', 'private', 'sh', '-ec', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf],
          })
          const pid = child.pid!
          // Inside: the mounted file; the process has no QSM_DNS_SERVERS. Outside: unchanged.
          const inside = spawnSync('nsenter', ['--target', String(pid), '--mount', 'cat', '/etc/resolv.conf'], { encoding: 'utf8' })
          expect(inside.stdout, inside.stderr).toBe('nameserver 127.0.0.1\n')
          expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((e) => e.startsWith('QSM_DNS_SERVERS='))).toEqual([])
          expect(hostResolv(), "the host's /etc/resolv.conf while the namespace exists").toEqual(hostBefore)
          const base = `http://127.0.0.1:${port}`
          const call = async (userId: string, path: string, body: unknown) => {
            const res = await fetch(base + path, {
              method: 'POST', body: JSON.stringify(body),
              headers: { authorization: `Bearer ${await mintToken(TEST_SECRETS.QSM_BRIDGE_SECRET, userId, Date.now())}`, 'content-type': 'application/json' },
            })
            return { status: res.status, json: (await res.json()) as { id?: string; error?: { message?: string } } }
          }
          return { base, call }
        }

        it("does not delay another user's endpoint create", async () => {
          // Private targets off, so every create resolves its host and checks the answers.
          const server = await startInNamespace(false)
          const timed = async (userId: string, url: string) => {
            const started = Date.now()
            const res = await server.call(userId, '/v1/webhooks', { url, event_types: ['*'] })
            return { status: res.status, ms: Date.now() - started, message: res.json.error?.message }
          }
          const before = await timed('victim', 'https://before.victim.test/hook')
          const attack = Array.from({ length: 6 }, (_, i) => timed('attacker', `https://hang${i}.attacker.test/`))
          await new Promise((r) => setTimeout(r, 200))
          const during = await timed('victim', 'https://during.victim.test/hook')
          const attacked = await Promise.all(attack)
          // eslint-disable-next-line no-console
          console.log(`[system resolver] victim's create: ${before.ms} ms before, ${during.ms} ms during six hanging lookups; attacker's took ${attacked.map((a) => a.ms).join(', ')} ms (${dialect})`)
          expect([before.status, during.status], output).toEqual([201, 201])
          expect(during.ms - before.ms).toBeLessThan(200)
          expect(attacked.map((a) => a.status)).toEqual(new Array(6).fill(422))
          expect(attacked[0]!.message).toMatch(/could not be resolved \(ETIMEOUT/)
          // Resolved through /etc/resolv.conf: the server on 127.0.0.1:53 was asked.
          expect(dns.asked).toEqual(expect.arrayContaining(['before.victim.test', 'during.victim.test', 'hang0.attacker.test']))
        }, 60_000)

        it("does not delay another user's deliveries", async () => {
          const server = await startInNamespace(true)
          for (let i = 0; i < 6; i++) {
            const res = await server.call('attacker', '/v1/webhooks', { url: `http://hang${i}.attacker.test:${receiver.port}/hang-${i}`, event_types: ['*'] })
            expect(res.status, output).toBe(201)
          }
          expect((await server.call('victim', '/v1/webhooks', { url: `http://victim.test:${receiver.port}/victim`, event_types: ['*'] })).status).toBe(201)
          const ingest = async (userId: string) => {
            const event = exampleEvent('email.failed', userId)
            const at = Date.now()
            const res = await postEvents(overHttp(server.base), { events: [event] }, Date.now())
            expect(res.status, res.raw).toBe(202)
            return { id: event.id, at }
          }
          const latency = async () => {
            const event = await ingest('victim')
            const got = await receiver.waitFor((a) => a.path === '/victim' && a.body.includes(event.id), 5_000)
            return got.at - event.at
          }
          await latency() // warm-up: the first send of the process loads undici
          const before = [await latency(), await latency(), await latency()]
          for (let i = 0; i < 3; i++) await ingest('attacker') // 18 deliveries whose names never resolve
          await new Promise((r) => setTimeout(r, 300))
          const during = [await latency(), await latency(), await latency()]
          // eslint-disable-next-line no-console
          console.log(`[system resolver] victim's deliveries: ${before.join(', ')} ms before, ${during.join(', ')} ms during the attacker's hanging lookups (${dialect})`)
          expect(Math.max(...during) - Math.max(...before)).toBeLessThan(200)
          expect(dns.asked).toContain('victim.test')
          expect(dns.asked.some((n) => n.endsWith('.attacker.test'))).toBe(true)
        }, 60_000)
      })
    }
  })
}
