// SSRF through the API: with QSM_ALLOW_PRIVATE_TARGETS=false, no endpoint may be saved (created or
// patched) with a URL that reaches a non-public address, however the address is spelled.
// The sender checks again at connect time (tests/security/redirects-and-connect.test.ts).
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
import { dialects } from '../helpers/dialects.js'
import { useTestDb } from '../helpers/db.js'
import { makeTestApp } from '../helpers/app.js'
import { nonPublicReason } from '../../server/net/address-policy.js'
import { rowCounts } from '../reliability/support.js'

/** Host spellings that all reach a non-public address. */
const PRIVATE_HOSTS = [
  // loopback, every way the WHATWG URL parser accepts
  'localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1', '127.0.1', '127.255.255.254', '0x7f000001', '0x7f.0.0.1', '0x7f.1',
  '0177.0.0.1', '0177.1', '2130706433', '017700000001', '%31%32%37.0.0.1', '１２７.０.０.１',
  // unspecified, "this network"
  '0.0.0.0', '0', '0.1.2.3',
  // RFC 1918
  '10.0.0.1', '10.255.255.255', '012.0.0.1', '0xa000001', '167772161', '172.16.0.1', '172.31.255.255', '192.168.0.1', '192.168.255.255', '3232235521',
  // link-local and cloud metadata
  '169.254.169.254', '169.254.0.1', '0xa9fea9fe', '2852039166', '0251.0376.0251.0376',
  // carrier-grade NAT, benchmarking, multicast, broadcast, reserved
  '100.64.0.1', '100.127.255.255', '198.18.0.1', '224.0.0.1', '239.255.255.250', '255.255.255.255', '240.0.0.1',
  // IPv6 loopback and unspecified
  '[::1]', '[0:0:0:0:0:0:0:1]', '[::0:1]', '[::]',
  // IPv4-mapped and -compatible forms of private IPv4
  '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:10.0.0.1]', '[::ffff:169.254.169.254]', '[::ffff:a9fe:a9fe]', '[::127.0.0.1]',
  // unique local fc00::/7, link-local fe80::/10, site-local, multicast
  '[fc00::1]', '[fd12:3456:789a::1]', '[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]', '[fe80::1]', '[febf::1]', '[fec0::1]', '[ff02::1]',
  // translation and tunnels that would reach IPv4 inside
  '[64:ff9b::7f00:1]', '[64:ff9b::a9fe:a9fe]', '[2002:7f00:1::1]', '[2001:db8::1]',
]

/** Names in this machine's /etc/hosts that point at non-public addresses (e.g. localhost, the hostname). */
function hostsFileNames(): string[] {
  let text = ''
  try {
    text = readFileSync('/etc/hosts', 'utf8')
  } catch {
    return []
  }
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const [ip, ...rest] = line.replace(/#.*/, '').trim().split(/\s+/)
    if (!ip || !isIP(ip) || !nonPublicReason(ip)) continue
    for (const name of rest) if (/^[a-z0-9.-]+$/i.test(name)) names.add(name)
  }
  return [...names]
}

const PUBLIC_CONTROLS = ['https://93.184.215.14/hook', 'https://[2606:4700:4700::1111]/hook', 'https://1.1.1.1:8443/hook?x=1']

for (const dialect of dialects()) {
  describe(`${dialect}: endpoint URLs aimed at non-public addresses are refused`, () => {
    const t = useTestDb(dialect)
    const env = { QSM_ALLOW_PRIVATE_TARGETS: 'false', QSM_RATE_LIMIT_PER_USER: '100000', QSM_RATE_LIMIT_PER_IP: '100000' }

    it(`refuses ${PRIVATE_HOSTS.length} spellings of private addresses on create and on update`, async () => {
      const app = makeTestApp(t.db, { env })
      const control = await app.call('u1', 'POST', '/v1/webhooks', { url: PUBLIC_CONTROLS[0], event_types: ['*'] })
      expect(control.status).toBe(201)
      const row = await t.db.db.selectFrom('endpoints').selectAll().where('id', '=', control.json.id).executeTakeFirstOrThrow()
      const counts = await rowCounts(t.db)
      const accepted: string[] = []
      for (const host of PRIVATE_HOSTS) {
        for (const url of [`https://${host}/hook`, `https://${host}:8443/hook`]) {
          const created = await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: ['*'] })
          if (created.status !== 422) accepted.push(`POST ${url} -> ${created.status}`)
          else expect(created.json.error.details[0].path).toBe('url')
          const patched = await app.call('u1', 'PATCH', `/v1/webhooks/${control.json.id}`, { url })
          if (patched.status !== 422) accepted.push(`PATCH ${url} -> ${patched.status}`)
        }
      }
      expect(accepted).toEqual([])
      expect(await rowCounts(t.db)).toEqual(counts)
      expect(await t.db.db.selectFrom('endpoints').selectAll().where('id', '=', control.json.id).executeTakeFirstOrThrow()).toEqual(row)
    })

    it('refuses host names that resolve to loopback or another private address', async () => {
      const app = makeTestApp(t.db, { env })
      const names = hostsFileNames()
      expect(names).toContain('localhost')
      for (const name of names) {
        const res = await app.call('u1', 'POST', '/v1/webhooks', { url: `https://${name}/hook`, event_types: ['*'] })
        expect(res.status, name).toBe(422)
        expect(res.json.error.message, name).toMatch(/public addresses|could not be resolved/)
      }
      expect((await rowCounts(t.db)).endpoints).toBe(0)
    })

    it('refuses tricks that hide the real host: credentials, fragments, backslashes, plain http', async () => {
      const app = makeTestApp(t.db, { env })
      for (const url of [
        'https://example.com@127.0.0.1/hook',
        'https://127.0.0.1#@example.com/hook',
        'https://127.0.0.1\\@example.com/hook',
        'https://example.com\\@127.0.0.1/hook',
        'http://93.184.215.14/hook',
        'ftp://93.184.215.14/hook',
        'https://127.0.0.1%2f@example.com/',
        ' https://93.184.215.14/hook',
        'https://93.184.215.14/hook\n',
      ]) {
        const res = await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: ['*'] })
        expect(res.status, url).toBe(422)
      }
      expect((await rowCounts(t.db)).endpoints).toBe(0)
    })

    it('refuses public addresses on ports outside 80, 443 and 1024-65535, on create and on update', async () => {
      const app = makeTestApp(t.db, { env })
      for (const url of ['https://93.184.215.14:25/hook', 'https://93.184.215.14:0/hook', 'https://93.184.215.14:22/', 'https://93.184.215.14:1023/']) {
        const res = await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: ['*'] })
        expect(res.status, url).toBe(422)
        expect(res.json.error.message).toContain('port 80, 443 or 1024-65535')
      }
      const created = await app.call('u1', 'POST', '/v1/webhooks', { url: 'https://93.184.215.14:1024/hook', event_types: ['*'] })
      expect(created.status).toBe(201)
      const patched = await app.call('u1', 'PATCH', `/v1/webhooks/${created.json.id}`, { url: 'https://93.184.215.14:25/hook' })
      expect(patched.status).toBe(422)
      expect((await app.call('u1', 'POST', '/v1/webhooks', { url: 'https://93.184.215.14:443/hook', event_types: ['*'] })).status).toBe(201)
    })

    it('still accepts public addresses (the controls), so the rule is not "refuse everything"', async () => {
      const app = makeTestApp(t.db, { env })
      for (const url of PUBLIC_CONTROLS) {
        const res = await app.call('u1', 'POST', '/v1/webhooks', { url, event_types: ['*'] })
        expect(res.status, url).toBe(201)
      }
    })
  })
}
