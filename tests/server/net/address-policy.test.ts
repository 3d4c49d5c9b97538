import { describe, expect, it } from 'vitest'
import { BlockedTargetError, DnsLookupError, nonPublicReason, resolveTarget } from '../../../server/net/address-policy.js'

// [host as it appears in a URL, the reason it is refused]. Hosts go through new URL() first, as
// the endpoint rules and the sender do, so odd IPv4 spellings arrive already normalised.
const BLOCKED: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['2130706433', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'reserved ("this network", 0.0.0.0/8)'],
  ['10.1.2.3', 'private network (10.0.0.0/8)'],
  ['172.16.0.1', 'private network (172.16.0.0/12)'],
  ['172.31.255.255', 'private network (172.16.0.0/12)'],
  ['192.168.1.1', 'private network (192.168.0.0/16)'],
  ['169.254.169.254', 'cloud metadata'],
  ['169.254.1.1', 'link-local'],
  ['100.64.0.1', 'carrier-grade NAT (100.64.0.0/10)'],
  ['100.127.255.255', 'carrier-grade NAT (100.64.0.0/10)'],
  ['192.0.0.8', 'reserved (IETF protocol assignments, 192.0.0.0/24)'],
  ['192.0.2.10', 'documentation (192.0.2.0/24)'],
  ['198.18.0.1', 'benchmarking (198.18.0.0/15)'],
  ['198.19.255.1', 'benchmarking (198.18.0.0/15)'],
  ['198.51.100.7', 'documentation (198.51.100.0/24)'],
  ['203.0.113.9', 'documentation (203.0.113.0/24)'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved (240.0.0.0/4)'],
  ['255.255.255.255', 'broadcast'],
  ['[::]', 'unspecified'],
  ['[::1]', 'loopback'],
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['[::ffff:10.0.0.1]', 'private network (10.0.0.0/8)'],
  ['[::ffff:169.254.169.254]', 'cloud metadata'],
  ['[64:ff9b::7f00:1]', 'NAT64 (64:ff9b::/96)'],
  ['[fc00::1]', 'unique local (fc00::/7)'],
  ['[fd00:ec2::254]', 'unique local (fc00::/7)'],
  ['[fe80::1]', 'link-local'],
  ['[ff02::1]', 'multicast'],
  ['[2001:db8::1]', 'documentation (2001:db8::/32)'],
  ['[2002:7f00:1::]', 'reserved (6to4, 2002::/16)'],
  ['[::127.0.0.1]', 'reserved (outside 2000::/3)'],
]

const PUBLIC = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '[2606:4700::1]', '[2001:4860:4860::8888]', '[::ffff:8.8.8.8]']

const hostOf = (spelling: string) => new URL(`https://${spelling}/`).hostname

describe('address policy', () => {
  it.each(BLOCKED)('classifies %s as %s', (spelling, reason) => {
    expect(nonPublicReason(hostOf(spelling))).toBe(reason)
  })

  it.each(PUBLIC)('classifies %s as public', (spelling) => {
    expect(nonPublicReason(hostOf(spelling))).toBeNull()
  })

  it('judges a bare IPv6 literal with a zone id by its address', () => {
    expect(nonPublicReason('fe80::1%eth0')).toBe('link-local')
    expect(nonPublicReason('not-an-ip')).toBe('not an IP address')
  })

  it.each(BLOCKED)('refuses to resolve %s as a target', async (spelling, reason) => {
    const err = await resolveTarget(hostOf(spelling), false).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BlockedTargetError)
    expect((err as BlockedTargetError).reason).toBe(reason)
    expect((err as Error).message).toMatch(/; webhooks can only go to public addresses$/)
  })

  it('refuses odd IPv4 spellings passed without going through a URL first', async () => {
    for (const host of ['127.1', '0x7f000001', '2130706433', '[::1]']) {
      await expect(resolveTarget(host, false)).rejects.toBeInstanceOf(BlockedTargetError)
    }
    await expect(resolveTarget('127.1', false)).rejects.toThrow('127.0.0.1 is a loopback address; webhooks can only go to public addresses')
  })

  it('returns public IP literals as they are, with their family', async () => {
    expect(await resolveTarget('8.8.8.8', false)).toEqual({ address: '8.8.8.8', family: 4 })
    expect(await resolveTarget('[2606:4700::1]', false)).toEqual({ address: '2606:4700::1', family: 6 })
    expect(await resolveTarget('172.32.0.1', false)).toEqual({ address: '172.32.0.1', family: 4 })
  })

  it('refuses the name localhost because it resolves to a loopback address', async () => {
    const err = (await resolveTarget('localhost', false).catch((e: unknown) => e)) as BlockedTargetError
    expect(err).toBeInstanceOf(BlockedTargetError)
    expect(err.reason).toBe('loopback')
    expect(err.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address; webhooks can only go to public addresses$/)
  })

  it('lets private targets through when allowPrivate is set, and still returns an address to connect to', async () => {
    expect(await resolveTarget('127.1', true)).toEqual({ address: '127.0.0.1', family: 4 })
    expect(await resolveTarget('[::1]', true)).toEqual({ address: '::1', family: 6 })
    const local = await resolveTarget('localhost', true)
    expect(nonPublicReason(local.address)).toBe('loopback')
    expect([4, 6]).toContain(local.family)
  })

  it('reports a name that does not resolve as a DNS failure', async () => {
    const err = await resolveTarget('nothing-here.invalid', false).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsLookupError)
    expect((err as Error).message).toMatch(/^host "nothing-here\.invalid" could not be resolved \(/)
  })
})
