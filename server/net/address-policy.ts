// Which addresses a webhook may be sent to. Without this, anyone who can add an endpoint could make
// the server call its own admin ports, the hosting LAN or the cloud metadata service (SSRF).
// nonPublicReason() (ip-ranges.ts) classifies one IP literal; resolveTarget() turns a URL host into the single
// address the sender must connect to, so a DNS answer cannot change between check and connect.
import { isIP } from 'node:net'
import { nonPublicReason } from './ip-ranges.js'
import { DnsLookupError, systemResolver } from './dns-resolver.js'

export { nonPublicReason, DnsLookupError }

const PUBLIC_ONLY = 'webhooks can only go to public addresses'

/** The target is, or resolves to, an address webhooks may not reach. The message reads on its own. */
export class BlockedTargetError extends Error {
  override name = 'BlockedTargetError'
  constructor(message: string, readonly address: string, readonly reason: string) {
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
