import { describe, expect, it } from 'vitest'
import { refuseVersion } from '../../../server/db/dialect.js'

describe('database version check', () => {
  it('accepts MariaDB 10.6 and newer, and MySQL 8.0.1 and newer', () => {
    expect(refuseVersion('10.6.0-MariaDB')).toBeNull()
    expect(refuseVersion('10.11.19-MariaDB-0+deb12u1')).toBeNull()
    expect(refuseVersion('11.4.2-MariaDB')).toBeNull()
    expect(refuseVersion('8.0.1')).toBeNull()
    expect(refuseVersion('8.4.3')).toBeNull()
  })

  it('refuses older servers with a message that says what to do', () => {
    expect(refuseVersion('10.5.22-MariaDB')).toMatch(/^MariaDB 10.5.22 is too old: QSM Webhooks needs MariaDB 10.6.0 or newer .*Ask your host to upgrade, or use SQLite\.$/)
    expect(refuseVersion('5.7.44-log')).toMatch(/^MySQL 5.7.44 is too old: QSM Webhooks needs MySQL 8.0.1 or newer/)
    expect(refuseVersion('8.0.0')).toMatch(/too old/)
  })

  it('refuses a version string it cannot read', () => {
    expect(refuseVersion('banana')).toMatch(/Could not read the database version/)
  })
})
