// The start banner when the process does not own a TCP port (Passenger hands it a socket): it must
// never print "localhost:undefined", and QSM_PUBLIC_URL, when set, is the address it prints.
import { describe, expect, it } from 'vitest'
import { printBanner } from '../../../server/cli/banner.js'
import { testConfig } from '../../helpers/config.js'

function banner(env: Record<string, string>, port: number | undefined): string {
  let out = ''
  printBanner({ config: testConfig(env), port, wroteEnv: false, dbVersion: 'SQLite 3', write: (s) => (out += s) })
  return out
}

describe('the start banner', () => {
  it('says Passenger owns the socket, and never prints "undefined", when there is no port and no QSM_PUBLIC_URL', () => {
    const out = banner({}, undefined)
    expect(out).not.toContain('undefined')
    expect(out).not.toContain('localhost')
    expect(out).toContain('owns the socket')
    expect(out).toContain('Set QSM_PUBLIC_URL')
    expect(out).toMatch(/curl -fsS --max-time 50 "https:\/\/YOUR_ADDRESS\/tick\?token=test…"/)
  })

  it('prints the QSM_PUBLIC_URL addresses and cron line when it is set, whatever the socket', () => {
    const out = banner({ QSM_PUBLIC_URL: 'https://hooks.example.com/' }, undefined)
    expect(out).toContain('API          https://hooks.example.com/v1')
    expect(out).toContain('Dashboard    https://hooks.example.com/dashboard/')
    expect(out).toContain('"https://hooks.example.com/tick?token=test…"')
    expect(out).not.toContain('owns the socket')
  })

  it('prints the port it really listens on when it owns one (PORT=0 picks a free port)', () => {
    const out = banner({ PORT: '0' }, 41234)
    expect(out).toContain('API          http://localhost:41234/v1')
    expect(out).toContain('Dashboard    http://localhost:41234/dashboard/')
  })
})
