// QSM_WEB_DELIVERY=false, as an operator with workers on their own cores sets it: the real web
// process stores events and answers the bridge, and sends nothing itself; a worker sends every
// delivery. The default web process, for contrast, sends what it has just accepted at once.
import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { TEST_SECRETS } from '../../helpers/config.js'
import { freePort, startServerProcess } from '../../helpers/server-process.js'
import { useProcesses } from '../../reliability/processes.js'
import { startWorker, workerReady } from '../../reliability/workers.js'
import { exampleEvent, overHttp, postEvents, sleep } from '../../reliability/support.js'

for (const dialect of dialects()) {
  describe(`${dialect}: the web process with and without its own sending`, () => {
    const t = useTestDb(dialect)
    const procs = useProcesses('qsm-web-delivery-')

    async function start(env: Record<string, string>): Promise<{ base: string; output: () => string }> {
      const port = await freePort()
      let output = ''
      procs.server = await startServerProcess({
        cwd: procs.work, port, onOutput: (c) => (output += c),
        env: { ...process.env, ...TEST_SECRETS, PORT: String(port), HOST: '127.0.0.1', QSM_DATABASE_URL: t.url, QSM_ALLOW_PRIVATE_TARGETS: 'true', ...env },
      })
      return { base: `http://127.0.0.1:${port}`, output: () => output }
    }

    async function postThree(base: string): Promise<string[]> {
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const event = exampleEvent('email.received', 'u1')
        expect((await postEvents(overHttp(base), { events: [event] }, Date.now())).status).toBe(202)
        ids.push(event.id)
      }
      return ids
    }

    it('sends what it has just accepted at once by default', async () => {
      procs.receiver.hits.length = 0
      const app = makeTestApp(t.db)
      const url = `${procs.receiver.url}/default`
      expect((await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: ['email.*'] })).status).toBe(201)
      const { base, output } = await start({})
      const ids = await postThree(base)
      await procs.receiver.until((hits) => ids.every((id) => hits.some((h) => h.eventId === id && h.path === '/default')), 10_000)
      expect(output()).not.toContain('QSM_WEB_DELIVERY')
    })

    it('with QSM_WEB_DELIVERY=false stores and answers but sends nothing; a worker sends each delivery once', async () => {
      procs.receiver.hits.length = 0
      const app = makeTestApp(t.db)
      const url = `${procs.receiver.url}/off`
      expect((await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: ['email.*'] })).status).toBe(201)
      const { base, output } = await start({ QSM_WEB_DELIVERY: 'false' })
      expect(output()).toContain('Delivery     not from this process (QSM_WEB_DELIVERY=false)')
      const ids = await postThree(base)

      // The default process above sent within moments; give this one well over that.
      await sleep(2_000)
      expect(procs.receiver.hits.filter((h) => h.path === '/off')).toEqual([])
      // Stored and due, not leased to the web process (no hand-off).
      const rows = await t.db.db.selectFrom('deliveries').select(['event_id', 'status', 'lease_owner', 'attempts']).where('event_id', 'in', ids).execute()
      expect(rows).toHaveLength(3)
      for (const r of rows) expect(r).toMatchObject({ status: 'pending', lease_owner: null, attempts: 0 })

      procs.worker = startWorker(t.url)
      await workerReady(procs.worker)
      await procs.receiver.until((hits) => ids.every((id) => hits.some((h) => h.eventId === id && h.path === '/off')), 15_000)
      await sleep(300)
      const hits = procs.receiver.hits.filter((h) => h.path === '/off')
      expect(hits.map((h) => h.eventId).sort()).toEqual([...ids].sort())
      const done = await t.db.db.selectFrom('deliveries').select('status').where('event_id', 'in', ids).execute()
      expect(done.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    })
  })
}
