// QSM_WEB_DELIVERY=false, as an operator with workers on their own cores sets it: the real web
// process stores events and answers the bridge, and sends nothing itself; what sends them then is
// a worker or /tick (here /tick, host cron's path, which needs no second process). That the
// default web process sends what it has just accepted at once is shown by the hand-off tests
// (tests/reliability/hand-off-kill.test.ts, tests/server/delivery/hand-off.test.ts).
import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { TEST_SECRETS } from '../../helpers/config.js'
import { freePort, startServerProcess } from '../../helpers/server-process.js'
import { useProcesses } from '../../reliability/processes.js'
import { exampleEvent, overHttp, postEvents, sleep } from '../../reliability/support.js'

for (const dialect of dialects()) {
  describe(`${dialect}: a web process that does not send (QSM_WEB_DELIVERY=false)`, () => {
    const t = useTestDb(dialect)
    const procs = useProcesses('qsm-web-delivery-')

    it('with QSM_WEB_DELIVERY=false stores and answers but sends nothing; /tick then sends each delivery once', async () => {
      procs.receiver.hits.length = 0
      const app = makeTestApp(t.db)
      const url = `${procs.receiver.url}/off`
      expect((await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: ['email.*'] })).status).toBe(201)
      const port = await freePort()
      const base = `http://127.0.0.1:${port}`
      let output = ''
      procs.server = await startServerProcess({
        cwd: procs.work, port, onOutput: (c) => (output += c),
        env: { ...process.env, ...TEST_SECRETS, PORT: String(port), HOST: '127.0.0.1', QSM_DATABASE_URL: t.url, QSM_ALLOW_PRIVATE_TARGETS: 'true', QSM_WEB_DELIVERY: 'false' },
      })
      expect(output).toContain('Delivery     not from this process (QSM_WEB_DELIVERY=false)')
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const event = exampleEvent('email.received', 'u1')
        expect((await postEvents(overHttp(base), { events: [event] }, Date.now())).status).toBe(202)
        ids.push(event.id)
      }

      // A web process with its loop sends within moments (its hand-off starts the sends at the
      // commit); give this one well over that.
      await sleep(2_000)
      expect(procs.receiver.hits.filter((h) => h.path === '/off')).toEqual([])
      // Stored and due, not leased to the web process (no hand-off).
      const rows = await t.db.db.selectFrom('deliveries').select(['event_id', 'status', 'lease_owner', 'attempts']).where('event_id', 'in', ids).execute()
      expect(rows).toHaveLength(3)
      for (const r of rows) expect(r).toMatchObject({ status: 'pending', lease_owner: null, attempts: 0 })

      const tick = await fetch(`${base}/tick?token=${TEST_SECRETS.QSM_CRON_TOKEN}`)
      expect(tick.status).toBe(200)
      expect(await tick.json()).toMatchObject({ claimed: 3, succeeded: 3 })
      await procs.receiver.until((hits) => ids.every((id) => hits.some((h) => h.eventId === id && h.path === '/off')), 5_000)
      await sleep(300)
      const hits = procs.receiver.hits.filter((h) => h.path === '/off')
      expect(hits.map((h) => h.eventId).sort()).toEqual([...ids].sort())
      const done = await t.db.db.selectFrom('deliveries').select('status').where('event_id', 'in', ids).execute()
      expect(done.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    })
  })
}
