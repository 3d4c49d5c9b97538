// What differs between the two databases, stated once as capabilities. Feature code asks these
// questions; it never checks the database name itself.
export interface DialectCaps {
  kind: 'mysql' | 'sqlite'
  /** MySQL 8.0.1+ / MariaDB 10.6+: claims use FOR UPDATE SKIP LOCKED. SQLite has one writer at a time. */
  skipLocked: boolean
  /**
   * The database's work runs on the service's own thread (SQLite: better-sqlite3 is synchronous),
   * so every transaction costs the thread that also answers requests and sends deliveries.
   * Writes worth batching are gathered for a few ms there (delivery/ack-queue.ts).
   */
  onServiceThread: boolean
}

export const MIN_MYSQL = [8, 0, 1] as const
export const MIN_MARIADB = [10, 6, 0] as const

/** Explains why a server version is refused, or returns null when it is supported. */
export function refuseVersion(versionText: string): string | null {
  const isMaria = /mariadb/i.test(versionText)
  const nums = (/^(\d+)\.(\d+)\.(\d+)/.exec(versionText) ?? []).slice(1).map(Number)
  if (nums.length !== 3) return `Could not read the database version from "${versionText}".`
  const min = isMaria ? MIN_MARIADB : MIN_MYSQL
  for (let i = 0; i < 3; i++) {
    if (nums[i]! > min[i]!) return null
    if (nums[i]! < min[i]!) {
      const name = isMaria ? 'MariaDB' : 'MySQL'
      return `${name} ${nums.join('.')} is too old: QSM Webhooks needs ${name} ${min.join('.')} or newer ` +
        '(for FOR UPDATE SKIP LOCKED, which keeps deliveries from being sent twice). Ask your host to upgrade, or use SQLite.'
    }
  }
  return null
}
