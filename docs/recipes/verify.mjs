// Verify a QSM Webhooks delivery in Node.js with node:crypto only (Node 18 or newer).
//
// As a command:
//   WEBHOOK_SECRET=whsec_... WEBHOOK_ID=... WEBHOOK_TIMESTAMP=... WEBHOOK_SIGNATURE='v1,...' \
//     node verify.mjs < body.json
// It exits 0 and prints "valid" when the delivery is genuine, or exits 1 and says why not.
//
// In your own receiver, import verifyWebhook() and call it with the raw request body.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const TOLERANCE_SECONDS = 300

/**
 * Throws an Error with the reason when the delivery is not genuine.
 * secret: the endpoint secret, "whsec_..."; headers: an object with lower-case header names;
 * rawBody: the body exactly as received (a Buffer or string), before any JSON parsing.
 */
export function verifyWebhook(secret, headers, rawBody, nowSeconds = Math.floor(Date.now() / 1000)) {
  const id = headers['webhook-id']
  const timestamp = headers['webhook-timestamp']
  const signatures = headers['webhook-signature']
  if (!id || !timestamp || !signatures) throw new Error('missing webhook-id, webhook-timestamp or webhook-signature header')

  // 1. The timestamp must be whole seconds and within 5 minutes of now, either way.
  if (!/^\d+$/.test(timestamp)) throw new Error('webhook-timestamp is not a number of seconds')
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) throw new Error('timestamp is more than 5 minutes from now')

  // 2. The key is the base64-decoded part of the secret after "whsec_".
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')

  // 3. Sign "<webhook-id>.<webhook-timestamp>.<raw body>" with HMAC-SHA256, encode as base64.
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(rawBody)
    .digest('base64')

  // 4. The header holds one or more "v1,<signature>" entries separated by spaces (two during a
  //    secret rotation). Accept if any of them matches, compared in constant time.
  const expectedBytes = Buffer.from(expected)
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',', 2)
    if (version !== 'v1' || !signature) continue
    const given = Buffer.from(signature)
    if (given.length === expectedBytes.length && timingSafeEqual(given, expectedBytes)) return
  }
  throw new Error('no signature matches: wrong secret, or the body was changed')
}

// Command-line use: secret and headers from the environment, the raw body from standard input.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const env = process.env
  if (!env.WEBHOOK_SECRET) {
    console.error('Set WEBHOOK_SECRET to the endpoint secret (whsec_...)')
    process.exit(2)
  }
  try {
    verifyWebhook(env.WEBHOOK_SECRET, {
      'webhook-id': env.WEBHOOK_ID,
      'webhook-timestamp': env.WEBHOOK_TIMESTAMP,
      'webhook-signature': env.WEBHOOK_SIGNATURE,
    }, Buffer.concat(chunks))
    console.log('valid')
  } catch (err) {
    console.error(`invalid: ${err.message}`)
    process.exit(1)
  }
}
