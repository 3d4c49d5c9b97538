// Which addresses a webhook may be sent to. Without this, anyone who can add an endpoint could make
// the server call its own admin ports, the hosting LAN or the cloud metadata service (SSRF).
// nonPublicReason() classifies one IP literal; resolveTarget() turns a URL host into the single
// address the sender must connect to, so a DNS answer cannot change between check and connect.
import { systemResolver } from './dns-resolver.js'
import { isIP } from 'node:net'

type Rule = { prefix: number[]; bits: number; reason: string }

const v4 = (cidr: string, reason: string): Rule => {
  const [ip, bits] = cidr.split('/') as [string, string]
  return { prefix: ip.split('.').map(Number), bits: Number(bits), reason }
}
const v6 = (cidr: string, reason: string): Rule => {
  const [ip, bits] = cidr.split('/') as [string, string]
  return { prefix: ipv6Bytes(ip)!, bits: Number(bits), reason }
}

// First match wins, so the metadata address sits before link-local.
const IPV4_RULES: Rule[] = [
  v4('0.0.0.0/32', 'unspecified'),
  v4('0.0.0.0/8', 'reserved ("this network", 0.0.0.0/8)'),
  v4('10.0.0.0/8', 'private network (10.0.0.0/8)'),
  v4('100.64.0.0/10', 'carrier-grade NAT (100.64.0.0/10)'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.169.254/32', 'cloud metadata'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private network (172.16.0.0/12)'),
  v4('192.0.0.0/24', 'reserved (IETF protocol assignments, 192.0.0.0/24)'),
  v4('192.0.2.0/24', 'documentation (192.0.2.0/24)'),
  v4('192.88.99.0/24', 'reserved (6to4 relay, 192.88.99.0/24)'),
  v4('192.168.0.0/16', 'private network (192.168.0.0/16)'),
  v4('198.18.0.0/15', 'benchmarking (198.18.0.0/15)'),
  v4('198.51.100.0/24', 'documentation (198.51.100.0/24)'),
  v4('203.0.113.0/24', 'documentation (203.0.113.0/24)'),
  v4('224.0.0.0/4', 'multicast'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('240.0.0.0/4', 'reserved (240.0.0.0/4)'),
]

const IPV6_RULES: Rule[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  // NAT64 reaches IPv4 through a translator that may sit inside the hosting network.
  v6('64:ff9b::/96', 'NAT64 (64:ff9b::/96)'),
  v6('64:ff9b:1::/48', 'NAT64 (64:ff9b:1::/48)'),
  v6('100::/64', 'reserved (discard-only, 100::/64)'),
  v6('2001:db8::/32', 'documentation (2001:db8::/32)'),
  v6('3fff::/20', 'documentation (3fff::/20)'),
  v6('2001::/23', 'reserved (IETF protocol assignments, 2001::/23)'),
  // 6to4 is deprecated (RFC 7526) and would tunnel to whatever IPv4 address it embeds.
  v6('2002::/16', 'reserved (6to4, 2002::/16)'),
  v6('fc00::/7', 'unique local (fc00::/7)'),
  v6('fe80::/10', 'link-local'),
  v6('ff00::/8', 'multicast'),
  // Only 2000::/3 is handed out as global unicast; everything else is reserved or special.
  v6('::/0', 'reserved (outside 2000::/3)'),
]
const GLOBAL_UNICAST = v6('2000::/3', '')
const IPV4_MAPPED = v6('::ffff:0:0/96', '')

function matches(bytes: number[], rule: Rule): boolean {
  for (let bit = 0; bit < rule.bits; bit += 8) {
    const take = Math.min(8, rule.bits - bit)
    const mask = (0xff << (8 - take)) & 0xff
    if ((bytes[bit / 8]! & mask) !== (rule.prefix[bit / 8]! & mask)) return false
  }
  return true
}

/** The 16 bytes of an IPv6 literal (zone id and brackets already removed), or null. */
function ipv6Bytes(ip: string): number[] | null {
  if (isIP(ip) !== 6) return null
  let text = ip
  const tail: number[] = []
  // A dotted IPv4 tail ("::ffff:1.2.3.4") stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    tail.push(...dotted[1]!.split('.').map(Number))
    text = text.slice(0, -dotted[1]!.length) + '0:0'
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null]
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)))
  const left = groups(head)
  const right = rest === null ? [] : groups(rest)
  const all = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right]
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff])
  if (tail.length) bytes.splice(12, 4, ...tail)
  return bytes
}

/** Null when `ip` is a public unicast address; otherwise a short reason such as "loopback". */
export function nonPublicReason(ip: string): string | null {
  const literal = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  if (isIP(literal) === 4) {
    const bytes = literal.split('.').map(Number)
    return IPV4_RULES.find((r) => matches(bytes, r))?.reason ?? null
  }
  const bytes = ipv6Bytes(literal)
  if (!bytes) return 'not an IP address'
  // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address on the wire: judge that one.
  if (matches(bytes, IPV4_MAPPED)) return nonPublicReason(bytes.slice(12).join('.'))
  if (matches(bytes, GLOBAL_UNICAST)) return IPV6_RULES.find((r) => matches(bytes, r) && r.bits > 0)?.reason ?? null
  return IPV6_RULES.find((r) => matches(bytes, r))!.reason
}

const PUBLIC_ONLY = 'webhooks can only go to public addresses'

/** The target is, or resolves to, an address webhooks may not reach. The message reads on its own. */
export class BlockedTargetError extends Error {
  override name = 'BlockedTargetError'
  constructor(message: string, readonly address: string, readonly reason: string) {
    super(message)
  }
}

/** The host name could not be resolved (no such name, DNS down, timed out) or is not a host name. */
export class DnsLookupError extends Error {
  override name = 'DnsLookupError'
  constructor(message: string, readonly code: string) {
    super(message)
  }
}

/** "a loopback address", "an unspecified address". */
const described = (reason: string) => `${/^(un[^i]|[aeio])/i.test(reason) ? 'an' : 'a'} ${reason} address`

/**
 * Applies the WHATWG URL host rules, so "127.1", "0x7f000001" and "2130706433" become 127.0.0.1
 * exactly as the URL the sender builds would see them, and "[::1]" loses its brackets.
 */
function canonicalHost(hostname: string): string {
  const bare = hostname.replace(/^\[|\]$/g, '')
  if (isIP(bare) === 6) return bare
  try {
    return new URL(`http://${hostname}/`).hostname.replace(/^\[|\]$/g, '')
  } catch {
    throw new DnsLookupError(`"${hostname}" is not a valid host name`, 'EINVAL')
  }
}

/**
 * The address to connect to for `hostname`. IP literals are judged as they are; names are resolved
 * and refused when ANY answer is non-public (a name with one public and one private answer could
 * otherwise be steered to the private one). With allowPrivate (tests, local development) nothing
 * is refused. The sender must connect to the returned address, not resolve the name again.
 */
export type Resolver = (host: string, tenant?: string) => Promise<{ address: string; family: 4 | 6 }[]>

export async function resolveTarget(hostname: string, allowPrivate: boolean, resolve: Resolver = systemResolver(), tenant?: string): Promise<{ address: string; family: 4 | 6 }> {
  const host = canonicalHost(hostname)
  const family = isIP(host)
  if (family === 4 || family === 6) {
    const reason = allowPrivate ? null : nonPublicReason(host)
    if (reason) throw new BlockedTargetError(`${host} is ${described(reason)}; ${PUBLIC_ONLY}`, host, reason)
    return { address: host, family }
  }
  // c-ares with per-tenant caps and a cache (dns-resolver.ts), never dns.lookup's thread pool.
  const addresses = await resolve(host, tenant)
  if (!allowPrivate) {
    for (const a of addresses) {
      const reason = nonPublicReason(a.address)
      if (reason) throw new BlockedTargetError(`${host} resolves to ${a.address}, ${described(reason)}; ${PUBLIC_ONLY}`, a.address, reason)
    }
  }
  return addresses[0]!
}
