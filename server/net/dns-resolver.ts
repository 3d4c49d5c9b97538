// Host name resolution that one tenant cannot jam for the others (issue 12).
//
// dns.lookup runs getaddrinfo on libuv's thread pool (4 threads, shared with file I/O and crypto):
// a resolver that never answers holds a thread per lookup for its whole timeout, so six lookups of
// an attacker's names stalled every other user's lookups. Here names are resolved with c-ares
// (dns.promises.Resolver: asynchronous sockets, no threads, its own timeout and tries, servers
// from /etc/resolv.conf unless QSM_DNS_SERVERS names others). On top of that:
// - lookups in flight are capped per tenant and in total, so one user's hanging names wait
//   behind each other and never use up the total;
// - answers are cached for their TTL (LRU, bounded) and failures briefly, so a hostile name is not
//   asked again for every delivery;
// - names c-ares does not know (localhost, /etc/hosts entries) are answered from the hosts file.
// The answer is still a list of addresses that resolveTarget judges; the sender connects to the
// address judged, so caching changes nothing for rebinding.
import { promises as dnsPromises } from 'node:dns'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'

/** The host name could not be resolved (no such name, DNS down, timed out) or is not a host name. */
export class DnsLookupError extends Error {
  override name = 'DnsLookupError'
  constructor(message: string, readonly code: string) {
    super(message)
  }
}

export type Address = { address: string; family: 4 | 6 }
/** `tenant`: whose lookup this is (a user id); lookups without one share one anonymous budget. */
export type TenantResolver = (host: string, tenant?: string) => Promise<Address[]>

export interface DnsOptions {
  /** Servers to ask ("1.2.3.4" or "1.2.3.4:5353"); empty: /etc/resolv.conf. */
  servers?: string[]
  /** c-ares: first timeout per try (it backs off on the next) and tries per server. */
  timeoutMs?: number
  tries?: number
  /** The whole lookup gives up after this long, whatever c-ares is still doing. */
  deadlineMs?: number
  maxInFlight?: number
  maxPerTenant?: number
  cacheSize?: number
  failureTtlMs?: number
  /** Upper bound on a cached answer's life, whatever TTL it came with. */
  maxTtlMs?: number
  hostsFile?: string
}

/**
 * The longest one lookup may take (the resolver's whole-lookup deadline). The sender bounds
 * resolution by it, waiting for a per-tenant slot included, so the runner can count on it.
 */
export const LOOKUP_DEADLINE_MS = 5_000

const DEFAULTS = { timeoutMs: 1_000, tries: 2, deadlineMs: LOOKUP_DEADLINE_MS, maxInFlight: 64, maxPerTenant: 4, cacheSize: 1_000, failureTtlMs: 30_000, maxTtlMs: 3_600_000 }

const CODES: Record<string, string> = {
  ENOTFOUND: 'no such domain',
  ENODATA: 'the name has no addresses',
  ETIMEOUT: 'the lookup timed out',
  ESERVFAIL: 'the DNS server failed',
  ECONNREFUSED: 'the DNS server refused the connection',
  EREFUSED: 'the DNS server refused the query',
  EBUSY: 'too many lookups in progress',
}

export function lookupError(host: string, code: string): DnsLookupError {
  return new DnsLookupError(`host "${host}" could not be resolved (${code}: ${CODES[code] ?? 'lookup failed'})`, code)
}

/** name -> addresses from /etc/hosts, plus localhost and *.localhost (RFC 6761) always. */
export function readHostsFile(path: string): Map<string, Address[]> {
  const map = new Map<string, Address[]>()
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    // No hosts file (some containers): only the built-in localhost names.
  }
  for (const line of text.split('\n')) {
    const [ip, ...names] = line.replace(/#.*/, '').trim().split(/\s+/)
    const family = ip ? isIP(ip) : 0
    if (family !== 4 && family !== 6) continue
    for (const name of names) {
      const key = name.toLowerCase()
      const list = map.get(key) ?? []
      if (!list.some((a) => a.address === ip)) list.push({ address: ip!, family })
      map.set(key, list)
    }
  }
  if (!map.has('localhost')) map.set('localhost', [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }])
  return map
}

/** A counting semaphore whose waiters are served in arrival order. */
class Gate {
  private used = 0
  private readonly queue: (() => void)[] = []
  constructor(private readonly size: number) {}
  get idle(): boolean {
    return this.used === 0 && this.queue.length === 0
  }
  async take(): Promise<void> {
    if (this.used < this.size) { this.used += 1; return }
    await new Promise<void>((resolve) => this.queue.push(resolve))
  }
  give(): void {
    const next = this.queue.shift()
    if (next) next()
    else this.used -= 1
  }
}

type Cached = { until: number; addresses: Address[] } | { until: number; code: string }

export function createDnsResolver(options: DnsOptions = {}): TenantResolver & { cacheSize(): number } {
  const o = { ...DEFAULTS, ...options }
  const resolver = new dnsPromises.Resolver({ timeout: o.timeoutMs, tries: o.tries })
  if (o.servers && o.servers.length > 0) resolver.setServers(o.servers)
  let hosts: Map<string, Address[]> | undefined
  const cache = new Map<string, Cached>()
  const pending = new Map<string, Promise<Address[]>>()
  const total = new Gate(o.maxInFlight)
  const tenants = new Map<string, Gate>()

  const remember = (host: string, entry: Cached) => {
    cache.delete(host)
    cache.set(host, entry)
    if (cache.size > o.cacheSize) cache.delete(cache.keys().next().value as string)
  }

  async function ask(host: string): Promise<Address[]> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), o.deadlineMs)
      timer.unref()
    })
    try {
      const [v4, v6] = await Promise.race([
        Promise.allSettled([resolver.resolve4(host, { ttl: true }), resolver.resolve6(host, { ttl: true })]),
        deadline,
      ])
      const found: Address[] = []
      let ttl = Infinity
      if (v4.status === 'fulfilled') for (const r of v4.value) { found.push({ address: r.address, family: 4 }); ttl = Math.min(ttl, r.ttl) }
      if (v6.status === 'fulfilled') for (const r of v6.value) { found.push({ address: r.address, family: 6 }); ttl = Math.min(ttl, r.ttl) }
      if (found.length === 0) {
        // Prefer the more telling failure: "no such domain" over "no AAAA records".
        const codes = [v4, v6].map((r) => (r.status === 'rejected' ? String((r.reason as { code?: unknown }).code ?? 'EDNS') : 'ENODATA'))
        throw Object.assign(new Error('no addresses'), { code: codes.find((c) => c !== 'ENODATA') ?? 'ENODATA' })
      }
      const ttlMs = Math.min(o.maxTtlMs, (Number.isFinite(ttl) ? ttl : 0) * 1000)
      if (ttlMs > 0) remember(host, { until: Date.now() + ttlMs, addresses: found })
      return found
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? 'EDNS')
      remember(host, { until: Date.now() + o.failureTtlMs, code })
      throw lookupError(host, code)
    } finally {
      clearTimeout(timer)
    }
  }

  async function limited(host: string, tenant: string): Promise<Address[]> {
    let gate = tenants.get(tenant)
    if (!gate) tenants.set(tenant, (gate = new Gate(o.maxPerTenant)))
    await gate.take()
    try {
      await total.take()
      try {
        // Answered while this lookup waited its turn?
        return fromCache(host) ?? (await ask(host))
      } finally {
        total.give()
      }
    } finally {
      gate.give()
      if (gate.idle) tenants.delete(tenant)
    }
  }

  function fromCache(host: string): Address[] | undefined {
    const hit = cache.get(host)
    if (!hit) return undefined
    if (hit.until <= Date.now()) { cache.delete(host); return undefined }
    if ('code' in hit) throw lookupError(host, hit.code)
    return hit.addresses
  }

  const resolve = async (name: string, tenant = ''): Promise<Address[]> => {
    const host = name.toLowerCase().replace(/\.$/, '')
    const literal = isIP(host)
    if (literal === 4 || literal === 6) return [{ address: host, family: literal }]
    hosts ??= readHostsFile(o.hostsFile ?? '/etc/hosts')
    const local = hosts.get(host) ?? (host.endsWith('.localhost') ? hosts.get('localhost') : undefined)
    if (local) return local
    const cached = fromCache(host)
    if (cached) return cached
    // One question per name per tenant at a time; tenants never share a wait.
    const key = `${tenant}\u0000${host}`
    let p = pending.get(key)
    if (!p) {
      p = limited(host, tenant).finally(() => pending.delete(key))
      pending.set(key, p)
    }
    return p
  }
  return Object.assign(resolve, { cacheSize: () => cache.size })
}

let shared: TenantResolver | undefined

/** The process's resolver for callers that were not handed one (system servers, defaults). */
export function systemResolver(): TenantResolver {
  return (shared ??= createDnsResolver())
}
