// DNS rebinding: a name that answers a public address when it is checked and a private one when
// the connection is made. The sender resolves once per attempt, judges every answer, and connects
// to the address it judged. A resolver stands in for DNS (there is no controllable DNS server
// offline); the names end in .invalid, so the system resolver can never answer them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUndiciSender } from '../../server/delivery/sender.js'
import type { Resolver } from '../../server/net/address-policy.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'

const req = (url: string) => ({ url, headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 1500 })

/** Answers from a script, one entry per lookup (the last repeats), and counts the lookups. */
function scriptedResolver(answers: string[][]): Resolver & { calls: number } {
  const resolve = Object.assign(async (): Promise<{ address: string; family: 4 | 6 }[]> => {
    const list = answers[Math.min(resolve.calls, answers.length - 1)]!
    resolve.calls += 1
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }, { calls: 0 })
  return resolve
}

describe('DNS rebinding', () => {
  let receiver: Receiver
  beforeAll(async () => { receiver = await startReceiver() })
  afterAll(async () => { await receiver.close() })

  it('connects to the address it checked instead of looking the name up again', async () => {
    // With private targets allowed (local testing), the checked answer is loopback. If the
    // connection looked the name up again, the system resolver would fail on .invalid.
    const resolve = scriptedResolver([['127.0.0.1']])
    const sender = createUndiciSender({ allowPrivateTargets: true, concurrency: 2, resolve })
    const before = receiver.received.length
    const first = await sender.send(req(`http://hooks.rebind.invalid:${receiver.port}/a`))
    const second = await sender.send(req(`http://hooks.rebind.invalid:${receiver.port}/b`))
    await sender.close()
    expect([first.ok, second.ok]).toEqual([true, true])
    expect(resolve.calls).toBe(2)
    const got = receiver.received.slice(before)
    expect(got.map((r) => r.path)).toEqual(['/a', '/b'])
    expect(got[0]!.headers.host).toBe(`hooks.rebind.invalid:${receiver.port}`)
  })

  it('never reaches loopback when the name answers public at the check and loopback after it', async () => {
    const resolve = scriptedResolver([['1.1.1.1'], ['127.0.0.1']])
    const sender = createUndiciSender({ allowPrivateTargets: false, concurrency: 2, resolve })
    const before = receiver.received.length
    const first = await sender.send(req(`http://rebind.invalid:${receiver.port}/first`))
    // Offline, 1.1.1.1 cannot be reached: the attempt fails, and it was aimed at 1.1.1.1.
    expect(first.ok).toBe(false)
    expect(resolve.calls).toBe(1)
    // The next attempt looks the name up again, sees loopback, and refuses before connecting.
    const second = await sender.send(req(`http://rebind.invalid:${receiver.port}/second`))
    await sender.close()
    expect([second.ok, second.errorClass]).toEqual([false, 'blocked'])
    expect(second.error).toMatch(/127\.0\.0\.1/)
    expect(resolve.calls).toBe(2)
    expect(receiver.received.length).toBe(before)
  })

  it('refuses a name when any of its answers is private, even if the first is public', async () => {
    for (const answers of [['1.1.1.1', '127.0.0.1'], ['1.1.1.1', '::ffff:127.0.0.1'], ['8.8.8.8', '169.254.169.254']]) {
      const sender = createUndiciSender({ allowPrivateTargets: false, concurrency: 2, resolve: scriptedResolver([answers]) })
      const result = await sender.send(req(`http://mixed.invalid:${receiver.port}/`))
      await sender.close()
      expect([result.ok, result.errorClass], answers.join(',')).toEqual([false, 'blocked'])
    }
  })
})
