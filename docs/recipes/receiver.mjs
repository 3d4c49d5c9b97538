// A tiny webhook receiver for trying QSM Webhooks on your own computer (Node.js, no packages).
//
//   node docs/recipes/receiver.mjs                         listens on http://127.0.0.1:4000
//   WEBHOOK_SECRET=whsec_... node docs/recipes/receiver.mjs   also checks each signature
//
// It prints every request it gets and answers 200, or 401 when a signature check fails.
// For local testing only: it is not a production receiver.
import { createServer } from 'node:http'
import { verifyWebhook } from './verify.mjs'

const port = Number(process.env.RECEIVER_PORT || 4000)
const secret = process.env.WEBHOOK_SECRET

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    let type = '-'
    try {
      type = JSON.parse(body.toString('utf8')).type
    } catch {}
    let verdict = 'signature not checked (set WEBHOOK_SECRET)'
    let status = 200
    if (secret) {
      try {
        verifyWebhook(secret, req.headers, body)
        verdict = 'signature valid'
      } catch (err) {
        verdict = `signature INVALID: ${err.message}`
        status = 401
      }
    }
    console.log(`${new Date().toISOString()} ${req.method} ${req.url} id=${req.headers['webhook-id'] ?? '-'} type=${type} ${verdict}`)
    // The values a signature check needs, ready to paste into a shell (see docs/verifying-signatures.md).
    console.log(`  export WEBHOOK_ID='${req.headers['webhook-id'] ?? ''}' WEBHOOK_TIMESTAMP='${req.headers['webhook-timestamp'] ?? ''}' WEBHOOK_SIGNATURE='${req.headers['webhook-signature'] ?? ''}'`)
    console.log(body.toString('utf8'))
    res.writeHead(status, { 'content-type': 'text/plain' })
    res.end(status === 200 ? 'ok\n' : 'bad signature\n')
  })
})

server.listen(port, '127.0.0.1', () => console.log(`Receiver listening on http://127.0.0.1:${port}/`))
