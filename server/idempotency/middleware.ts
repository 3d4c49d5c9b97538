// Idempotency-Key on POSTs that create something (an endpoint, a secret, a test send): a client
// that retries after a lost answer gets the first answer again instead of a second endpoint.
// Same user + key + same request (method, path, body) within 24 h → the stored status and body;
// same key with another request → 422; the same key while the first request still runs → 409.
// Only 2xx answers are kept: after an error the client may fix the request and reuse the key.
import { createHash } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/context.js'
import { ApiError } from '../http/errors.js'
import { autocommitWrites } from '../db/write-first.js'
import { decryptSecret, encryptSecret } from '../crypto/secrets.js'
import { IDEMPOTENCY_TTL_MS, dropKey, findKey, reserveKey, saveAnswer } from './store.js'

const KEY = /^[\x21-\x7e]{1,200}$/

export const idempotent = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header('idempotency-key')
  if (key === undefined) return next()
  if (!KEY.test(key)) {
    throw new ApiError('validation_failed', 'Idempotency-Key: must be 1 to 200 visible ASCII characters (a UUID is a good choice)', [{ path: 'Idempotency-Key', message: 'must be 1 to 200 visible ASCII characters' }])
  }
  const { db, clock, config } = c.get('deps')
  const userId = c.get('userId')
  const hash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n`).update(await c.req.text()).digest('hex')
  const now = clock.now()

  let row = await findKey(db.db, userId, key)
  if (row && Number(row.created_at) <= now - IDEMPOTENCY_TTL_MS) {
    await autocommitWrites(db, (q) => dropKey(q, userId, key))
    row = undefined
  }
  if (!row) {
    if (await autocommitWrites(db, (q) => reserveKey(q, userId, key, hash, now))) {
      try {
        await next()
      } catch (err) {
        await autocommitWrites(db, (q) => dropKey(q, userId, key))
        throw err
      }
      if (c.res.status >= 200 && c.res.status < 300) {
        const body = await c.res.clone().text()
        await autocommitWrites(db, (q) => saveAnswer(q, userId, key, c.res.status, encryptSecret(body, config.appKey)))
      } else {
        await autocommitWrites(db, (q) => dropKey(q, userId, key))
      }
      return
    }
    row = await findKey(db.db, userId, key)
    if (!row) throw new ApiError('conflict', 'A request with this Idempotency-Key is being handled right now; retry in a moment')
  }
  if (row.request_hash !== hash) {
    throw new ApiError('validation_failed', 'Idempotency-Key: was already used with a different request in the last 24 h; use a new key for a new request', [{ path: 'Idempotency-Key', message: 'was already used with a different request' }])
  }
  if (Number(row.status) === 0 || row.body_enc === null) throw new ApiError('conflict', 'A request with this Idempotency-Key is being handled right now; retry in a moment')
  c.header('Idempotent-Replayed', 'true')
  return c.body(decryptSecret(row.body_enc, config.appKey), Number(row.status) as 200, { 'content-type': 'application/json' })
})
