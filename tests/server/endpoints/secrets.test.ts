import { describe, expect, it } from 'vitest'
import { dialects } from '../../helpers/dialects.js'
import { useTestDb } from '../../helpers/db.js'
import { makeTestApp } from '../../helpers/app.js'
import { activeSigningKeys } from '../../../server/endpoints/signing-keys.js'
import { applySecretChange, secretChange } from '../../../server/endpoints/secret.js'
import { secretKey } from '../../../server/signing/sign.js'

const HOOK = { url: 'https://example.com/hooks/qsm', event_types: ['email.*'] }
const DAY_MS = 86_400_000
const SUPPLIED = 'whsec_' + Buffer.alloc(32, 5).toString('base64')

for (const dialect of dialects()) {
  describe(`${dialect}: endpoint signing secrets`, () => {
    const t = useTestDb(dialect)
    const rowOf = (id: string) => t.db.db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

    it('stores only ciphertext: no column of the raw row contains the secret', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const secret: string = created.json.secret
      const rows = await t.db.db.selectFrom('endpoints').selectAll().execute()
      const text = JSON.stringify(rows)
      expect(text).not.toContain(secret)
      expect(text).not.toContain(secret.slice('whsec_'.length))
      expect(rows[0]!.secret_enc).toMatch(/^v1:/)
    })

    it('never shows the secret in list, get or patch answers', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const secret: string = created.json.secret
      const b64 = secret.slice('whsec_'.length)
      const answers = [
        await call('u1', 'GET', '/v1/webhooks'),
        await call('u1', 'GET', `/v1/webhooks/${created.json.id}`),
        await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { description: 'x' }),
        await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { secret: SUPPLIED }),
      ]
      for (const res of answers) {
        expect(res.status).toBe(200)
        const text = JSON.stringify(res.json)
        expect(text).not.toContain(b64)
        expect(text).not.toContain(SUPPLIED.slice(6))
        expect(text).not.toContain('"secret"')
        expect(text).not.toContain('secret_enc')
      }
    })

    it('reveals the current secret and its key id on request', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const res = await call('u1', 'GET', `/v1/webhooks/${created.json.id}/secret`)
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ secret: created.json.secret, key_id: created.json.secret_key_id })
    })

    it('uses a supplied secret instead of generating one', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', { ...HOOK, secret: SUPPLIED })
      expect(created.json.secret).toBe(SUPPLIED)
      expect((await call('u1', 'GET', `/v1/webhooks/${created.json.id}/secret`)).json.secret).toBe(SUPPLIED)
    })

    it('rotates to a new secret and keeps the old key signing for the default 24 h grace', async () => {
      const { call, clock, deps } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const rotatedAt = clock.now()
      const res = await call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`)
      expect(res.status).toBe(200)
      expect(res.json).toEqual({
        secret: expect.stringMatching(/^whsec_/),
        key_id: expect.stringMatching(/^key_/),
        previous_key_id: created.json.secret_key_id,
        previous_key_expires_at: new Date(rotatedAt + DAY_MS).toISOString(),
      })
      expect(res.json.secret).not.toBe(created.json.secret)
      expect(res.json.key_id).not.toBe(created.json.secret_key_id)

      const shown = await call('u1', 'GET', `/v1/webhooks/${created.json.id}`)
      expect(shown.json).toMatchObject({ secret_key_id: res.json.key_id, previous_key_id: created.json.secret_key_id, previous_key_expires_at: res.json.previous_key_expires_at })
      expect((await call('u1', 'GET', `/v1/webhooks/${created.json.id}/secret`)).json).toEqual({ secret: res.json.secret, key_id: res.json.key_id })

      const row = await rowOf(created.json.id)
      const appKey = deps.config.appKey
      expect(activeSigningKeys(row, appKey, rotatedAt + DAY_MS - 1)).toEqual([
        { keyId: res.json.key_id, key: secretKey(res.json.secret) },
        { keyId: created.json.secret_key_id, key: secretKey(created.json.secret) },
      ])
      expect(activeSigningKeys(row, appKey, rotatedAt + DAY_MS)).toEqual([{ keyId: res.json.key_id, key: secretKey(res.json.secret) }])

      // Once the grace is over the old key is no longer shown either.
      clock.set(rotatedAt + DAY_MS)
      expect((await call('u1', 'GET', `/v1/webhooks/${created.json.id}`)).json).toMatchObject({ previous_key_id: null, previous_key_expires_at: null })
    })

    it('honours grace_seconds, and a grace of 0 drops the old secret at once', async () => {
      const { call, clock } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const short = await call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`, { grace_seconds: 600 })
      expect(short.json.previous_key_expires_at).toBe(new Date(clock.now() + 600_000).toISOString())
      const now = await call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`, { grace_seconds: 0 })
      expect(now.json).toMatchObject({ previous_key_id: null, previous_key_expires_at: null })
      const row = await rowOf(created.json.id)
      expect(row).toMatchObject({ previous_secret_enc: null, previous_key_id: null, previous_expires_at: null })
    })

    it('keeps only the secret just replaced when rotating twice during a grace', async () => {
      const { call } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const first = await call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`, {})
      const second = await call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`, {})
      expect(second.json.previous_key_id).toBe(first.json.key_id)
    })

    it('treats a secret set through PATCH as a rotation with the default grace', async () => {
      const { call, clock, deps } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const res = await call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { secret: SUPPLIED, description: 'rotated by hand' })
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ description: 'rotated by hand', previous_key_id: created.json.secret_key_id, previous_key_expires_at: new Date(clock.now() + DAY_MS).toISOString() })
      expect(res.json.secret_key_id).not.toBe(created.json.secret_key_id)
      const keys = activeSigningKeys(await rowOf(created.json.id), deps.config.appKey, clock.now())
      expect(keys.map((k) => k.key)).toEqual([secretKey(SUPPLIED), secretKey(created.json.secret)])
    })

    it('refuses with 409 a secret change based on a secret that was already replaced', async () => {
      const { call, deps } = makeTestApp(t.db)
      const created = await call('u1', 'POST', '/v1/webhooks', HOOK)
      const stale = await rowOf(created.json.id)
      await call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`, {})
      const now = deps.clock.now()
      const change = secretChange(stale, SUPPLIED, deps.config.appKey, now, DAY_MS)
      await expect(applySecretChange(t.db.db, stale, change, now)).rejects.toMatchObject({ code: 'conflict' })
    })

    it('cannot reveal a secret sealed under another app key, and rotation recovers without keeping it', async () => {
      const first = makeTestApp(t.db)
      const created = await first.call('u1', 'POST', '/v1/webhooks', HOOK)
      const rekeyed = makeTestApp(t.db, { env: { QSM_APP_KEY: 'base64:' + Buffer.alloc(32, 1).toString('base64') } })
      const reveal = await rekeyed.call('u1', 'GET', `/v1/webhooks/${created.json.id}/secret`)
      expect(reveal.status).toBe(500)
      expect(reveal.json.error.message).toBe('This secret cannot be read with the current QSM_APP_KEY; rotate the secret to get a new one')
      const rotated = await rekeyed.call('u1', 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`, {})
      expect(rotated.json.previous_key_id).toBeNull()
      const keys = activeSigningKeys(await rowOf(created.json.id), rekeyed.deps.config.appKey, rekeyed.clock.now())
      expect(keys).toEqual([{ keyId: rotated.json.key_id, key: secretKey(rotated.json.secret) }])
    })
  })
}
