// The check right before a send (endpoint-guard.ts). Handed-off jobs carry no URL or keys, so the
// guard fills them from its copy of the endpoint; these cases are about the keys it fills in.
import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { seedEndpoint } from '../../helpers/seed.js'
import { EndpointGuard } from '../../../server/delivery/endpoint-guard.js'
import type { Job } from '../../../server/delivery/prepare.js'
import { secretKey } from '../../../server/signing/sign.js'

const DAY_MS = 86_400_000

/** A job as hand-off makes it: no URL or keys yet, and a version that never matches. */
function handedOff(endpointId: string, n: number): Job {
  return {
    claim: {
      id: `dlv_${n}`, event_id: `evt_${n}`, endpoint_id: endpointId, user_id: 'u1', event_type: 'email.received', attempts: 0,
      owner: 'w', leaseUntil: Date.now() + 60_000, trigger: 'scheduled', manualAttempts: 0, resumeAt: null,
    },
    url: '', body: '{}', keys: [], customHeaders: {}, rate: null, version: -1, readAt: Number.NEGATIVE_INFINITY,
  }
}

for (const dialect of dialects()) {
  describe(`${dialect}: the endpoint check before a send`, () => {
    const t = useTestDb(dialect)

    it('signs with the old key too until its grace ends, judged at each send, not at the read', async () => {
      const { call, clock, deps } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', { url: 'https://example.com/hooks/qsm', event_types: ['email.*'] })
      const rotatedAt = clock.now()
      const rotated = (await call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`)).json
      const guard = new EndpointGuard(t.db, deps.config)
      const current = { keyId: rotated.key_id, key: secretKey(rotated.secret) }
      const old = { keyId: created.json.secret_key_id, key: secretKey(created.json.secret) }

      // Both checks within a second: the second one uses the first one's read of the endpoint.
      const before = await guard.check(handedOff(created.json.id, 1), rotatedAt + DAY_MS - 1)
      const after = await guard.check(handedOff(created.json.id, 2), rotatedAt + DAY_MS)
      if (!('send' in before) || !('send' in after)) throw new Error('expected both jobs to be sent')
      expect(before.send.keys).toEqual([current, old])
      expect(after.send.keys).toEqual([current])
      expect(after.send.url).toBe('https://example.com/hooks/qsm')
      // One decryption for both jobs of that read, not one per job.
      expect(after.send.keys[0]!.key).toBe(before.send.keys[0]!.key)
    })

    it('sends nothing for an endpoint whose secret cannot be decrypted, and says why for every job', async () => {
      const { deps } = makeTestApp(t.db)
      const id = await seedEndpoint(t.db, { userId: 'u1', secretEnc: 'v1:not:a:secret' })
      const guard = new EndpointGuard(t.db, deps.config)
      for (const n of [1, 2]) {
        const checked = await guard.check(handedOff(id, n), Date.now())
        expect(checked).toMatchObject({ skip: { status: 'failed', attempt: null, lastError: expect.stringContaining('cannot be decrypted (was QSM_APP_KEY changed?)') } })
      }
    })
  })
}
