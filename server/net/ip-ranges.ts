// Which IP addresses count as public. ipaddr.js parses every spelling and does the CIDR matching;
// the tables below only name the ranges, so a refusal says which rule applied ("private network
// (10.0.0.0/8)"), and add the few ipaddr.js does not single out (cloud metadata before link-local,
// NAT64, 6to4, everything outside IPv6 global unicast). Anything ipaddr.js itself calls
// non-unicast that no row names is still refused, with its range name.
import ipaddr from 'ipaddr.js'

type Table = [cidr: string, reason: string][]

// First match wins, so the metadata address sits before link-local.
const IPV4: Table = [
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'reserved ("this network", 0.0.0.0/8)'],
  ['10.0.0.0/8', 'private network (10.0.0.0/8)'],
  ['100.64.0.0/10', 'carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.169.254/32', 'cloud metadata'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private network (172.16.0.0/12)'],
  ['192.0.0.0/24', 'reserved (IETF protocol assignments, 192.0.0.0/24)'],
  ['192.0.2.0/24', 'documentation (192.0.2.0/24)'],
  ['192.88.99.0/24', 'reserved (6to4 relay, 192.88.99.0/24)'],
  ['192.168.0.0/16', 'private network (192.168.0.0/16)'],
  ['198.18.0.0/15', 'benchmarking (198.18.0.0/15)'],
  ['198.51.100.0/24', 'documentation (198.51.100.0/24)'],
  ['203.0.113.0/24', 'documentation (203.0.113.0/24)'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved (240.0.0.0/4)'],
]

const IPV6: Table = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  // NAT64 reaches IPv4 through a translator that may sit inside the hosting network.
  ['64:ff9b::/96', 'NAT64 (64:ff9b::/96)'],
  ['64:ff9b:1::/48', 'NAT64 (64:ff9b:1::/48)'],
  ['100::/64', 'reserved (discard-only, 100::/64)'],
  ['2001:db8::/32', 'documentation (2001:db8::/32)'],
  ['3fff::/20', 'documentation (3fff::/20)'],
  ['2001::/23', 'reserved (IETF protocol assignments, 2001::/23)'],
  // 6to4 is deprecated (RFC 7526) and would tunnel to whatever IPv4 address it embeds.
  ['2002::/16', 'reserved (6to4, 2002::/16)'],
  ['fc00::/7', 'unique local (fc00::/7)'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
  // Only 2000::/3 is handed out as global unicast; everything else is reserved or special.
  ['::/0', 'reserved (outside 2000::/3)'],
]

const parsed = <T extends ipaddr.IPv4 | ipaddr.IPv6>(table: Table) =>
  table.map(([cidr, reason]) => ({ range: ipaddr.parseCIDR(cidr) as [T, number], reason }))
const V4 = parsed<ipaddr.IPv4>(IPV4)
const V6 = parsed<ipaddr.IPv6>(IPV6)
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number]

/** Null when `ip` is a public unicast address; otherwise a short reason such as "loopback". */
export function nonPublicReason(ip: string): string | null {
  const literal = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  if (!ipaddr.isValid(literal) || !(ipaddr.IPv4.isValidFourPartDecimal(literal) || ipaddr.IPv6.isValid(literal))) return 'not an IP address'
  // process() turns an IPv4-mapped address (::ffff:a.b.c.d) into the IPv4 address it is on the wire.
  const addr = ipaddr.process(literal)
  let reason: string | null
  if (addr.kind() === 'ipv4') {
    const v4 = addr as ipaddr.IPv4
    reason = V4.find((r) => v4.match(r.range))?.reason ?? null
  } else {
    const v6 = addr as ipaddr.IPv6
    const rows = v6.match(GLOBAL_UNICAST) ? V6.filter((r) => r.range[1] > 0) : V6
    reason = rows.find((r) => v6.match(r.range))?.reason ?? null
  }
  if (reason) return reason
  const range = addr.range()
  return range === 'unicast' ? null : `reserved (${range})`
}
