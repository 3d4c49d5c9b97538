// Makes SQLite commits durable without stopping the event loop.
//
// better-sqlite3 is synchronous: with `synchronous = FULL` every commit's fsync of the WAL runs on
// the one thread that also serves HTTP and times every webhook in flight. On this project's
// machines that fsync takes 0.5–8 ms, and under load the loop spent most of its stalls there
// (measured in the noisy-neighbour bench: 60–70 commits a 10 s run of 4–8 ms each).
//
// So a durable write commits with `synchronous = NORMAL` (WAL frames written to the OS, no fsync)
// and then waits here, asynchronously, for an fsync of the WAL file on libuv's thread pool before
// anyone is told it is stored. fsync(2) flushes the file, whichever descriptor names it, so the
// commit's frames are on disk when the wait ends: what FULL promises, given before the 202, not
// inside the commit. Writes that commit while an fsync runs share the next one (group commit):
// under load one fsync serves many transactions.
//
// What differs from FULL: between the commit and the end of its fsync (milliseconds) the row is
// visible to readers of the same file; a power cut in that window can lose a row someone else has
// read. Nobody was told it was stored: the ingest answers, and hands its deliveries to the sender,
// only after the fsync.
import { open, type FileHandle } from 'node:fs/promises'
import { resolve } from 'node:path'

export interface WalSync {
  /** Resolves once everything committed before the call is on disk. */
  flush(): Promise<void>
  close(): Promise<void>
}

export function walSync(databasePath: string): WalSync | null {
  if (databasePath === '' || databasePath === ':memory:') return null
  const walPath = `${resolve(databasePath)}-wal`
  let handle: Promise<FileHandle> | null = null
  // The fsync in progress, and the one queued behind it for callers that came after it began.
  let running: Promise<void> | null = null
  let next: Promise<void> | null = null

  const fsyncOnce = async () => {
    // Opened on first use: the -wal file exists once the connection has written in WAL mode, and
    // SQLite keeps it (resetting it in place, same inode) while any connection stays open.
    handle ??= open(walPath, 'r')
    try {
      await (await handle).sync()
    } catch (err) {
      handle = null
      throw err
    }
  }

  const flush = (): Promise<void> => {
    // A commit that ended before the running fsync began is covered by it; one that ended after
    // may not be, so it waits for the next fsync, which all such callers share.
    if (running === null) {
      running = fsyncOnce().finally(() => { running = null })
      return running
    }
    next ??= running.catch(() => {}).then(() => {
      next = null
      running = fsyncOnce().finally(() => { running = null })
      return running
    })
    return next
  }

  return {
    flush,
    async close() {
      const h = handle
      handle = null
      if (h) await (await h.catch(() => null))?.close()
    },
  }
}
