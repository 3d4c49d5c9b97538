// A DNS server that never answers one user's names must not delay anyone else: names are resolved
// with c-ares (no thread pool to fill), with a cap on each user's lookups in flight, so another
// user's endpoint create and deliveries — whose names the same server does answer — take as long
// as without the attacker (within 200 ms).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { startScheduler } from '../../server/delivery/scheduler.js'
import { endpoints, ingest, tenantReceiver } from './support.js'
import { startDnsServer } from '../helpers/dns-server.js'

for (const dialect of dialects()) {
  describe(`${dialect}: a silent DNS server for one user's names`, () => {
    const t = useTestDb(dialect)
    let receiver: Awaited<ReturnType<typeof tenantReceiver>>
    let dns: Awaited<ReturnType<typeof startDnsServer>>
    beforeEach(async () => {
      receiver = await tenantReceiver()
      dns = await startDnsServer({
        'victim.test': '127.0.0.1', 'before.victim.test': '93.184.215.14', 'during.victim.test': '93.184.215.14',
      })
    })
    afterEach(async () => { await receiver.close(); await dns.close() })

    it("does not delay another user's endpoint create", async () => {
      // Private targets off, so every create resolves its host and checks the answers.
      const app = makeTestApp(t.db, { env: { QSM_DNS_SERVERS: dns.server, QSM_ALLOW_PRIVATE_TARGETS: 'false' } })
      const timed = async (userId: string, url: string) => {
        const started = Date.now()
        const res = await app.call(userId, 'POST', '/v1/webhooks', { url, event_types: ['*'] })
        return { status: res.status, ms: Date.now() - started, message: res.json?.error?.message as string | undefined }
      }
      const before = await timed('victim', 'https://before.victim.test/hook')
      const attack = Array.from({ length: 6 }, (_, i) => timed('attacker', `https://hang${i}.attacker.test/`))
      await new Promise((r) => setTimeout(r, 200))
      const during = await timed('victim', 'https://during.victim.test/hook')
      const attacked = await Promise.all(attack)
      console.log(`victim's create: ${before.ms} ms before, ${during.ms} ms during six hanging lookups; attacker's took ${attacked.map((a) => a.ms).join(', ')} ms (${dialect})`)
      expect([before.status, during.status]).toEqual([201, 201])
      expect(during.ms - before.ms).toBeLessThan(200)
      expect(attacked.map((a) => a.status)).toEqual(new Array(6).fill(422))
      expect(attacked[0]!.message).toMatch(/could not be resolved \(ETIMEOUT/)
    }, 30_000)

    it("does not delay another user's deliveries", async () => {
      const app = makeTestApp(t.db, { env: { QSM_DNS_SERVERS: dns.server } })
      await endpoints(app, 'attacker', Array.from({ length: 6 }, (_, i) => `http://hang${i}.attacker.test:${receiver.port}/hang-${i}`))
      await endpoints(app, 'victim', [`http://victim.test:${receiver.port}/victim`])
      app.deps.dispatcher = startScheduler(app.deps, { pollMs: 1_000 })
      const latency = async () => {
        const event = await ingest(app, 'victim')
        const got = await receiver.waitFor((a) => a.path === '/victim' && a.body.includes(event.id), 5_000)
        return got.at - event.at
      }
      try {
        await latency() // warm-up: the first send of the process loads undici
        const before = [await latency(), await latency(), await latency()]
        for (let i = 0; i < 3; i++) await ingest(app, 'attacker') // 18 deliveries whose names never resolve
        await new Promise((r) => setTimeout(r, 300))
        const during = [await latency(), await latency(), await latency()]
        console.log(`victim's deliveries: ${before.join(', ')} ms before, ${during.join(', ')} ms during the attacker's hanging lookups (${dialect})`)
        expect(Math.max(...during) - Math.max(...before)).toBeLessThan(200)
        expect(dns.asked.some((n) => n.includes('attacker'))).toBe(true)
      } finally {
        await app.deps.dispatcher.stop()
      }
    }, 30_000)
  })
}
