// Creates the SQLite file and its folder private to the app's user before the driver opens it.
// The database holds encrypted endpoint secrets, event payloads and delivery logs; on a shared
// host other accounts must not read it. SQLite gives the -wal and -shm files the mode of the
// database file, so a 0600 database keeps them 0600 too.
import { closeSync, constants, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isPermissionError, writeAccessError } from '../fs/write-access.js'

/** Makes `path`'s folder (0700) and an empty database file (0600) when they do not exist yet. */
export function prepareSqliteFile(path: string): void {
  if (path === ':memory:' || path === '') return
  const file = resolve(path)
  try {
    if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    // O_EXCL: only a file this call creates gets the mode; an existing one is left as it is.
    if (!existsSync(file)) closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return
    if (!isPermissionError(err)) throw err
    throw writeAccessError(err, file, 'as its SQLite database (QSM_DATABASE_URL)', 'set QSM_DATABASE_URL to a MySQL database or to a SQLite file in a folder that user can write')
  }
}
