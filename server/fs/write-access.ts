// Turns "EACCES: permission denied" into a message a host's user can act on. Under Passenger
// (cPanel) the app runs as the account's user, which may differ from whoever uploaded the files;
// the raw error names neither the user nor why the file is written at all.
import { userInfo } from 'node:os'
import { dirname } from 'node:path'

const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'EROFS'])

export function isPermissionError(err: unknown): boolean {
  return PERMISSION_CODES.has((err as NodeJS.ErrnoException | null)?.code ?? '')
}

/** The name of the user this process runs as, or its uid when the account has no name (a container). */
export function currentUserName(): string {
  try {
    return userInfo().username
  } catch {
    return String(process.getuid?.() ?? 'unknown')
  }
}

/**
 * An Error saying which user needs write access to which folder, and why. `why` finishes the
 * sentence "QSM Webhooks writes <path> …"; `instead` says how to avoid the write, if there is a way.
 */
export function writeAccessError(err: unknown, path: string, why: string, instead?: string): Error {
  const dir = dirname(path)
  const user = currentUserName()
  const parts = [
    `cannot write ${path}: this process runs as user ${user} (uid ${process.getuid?.()}), which has no write access to ${dir}.`,
    `QSM Webhooks writes ${path} ${why}.`,
    `Give ${user} write access to ${dir} (for example: chown -R ${user} ${dir})${instead ? `, or ${instead}` : ''}.`,
    `(${(err as Error).message})`,
  ]
  const out = new Error(parts.join(' '))
  out.name = 'WriteAccessError'
  return out
}
