// The process entry: config → database → HTTP server (+ delivery loop). The only file that opens
// sockets. Under cPanel/Passenger, app.cjs loads this and Passenger takes over listen(): the app
// gets Passenger's socket, not PORT (so the banner needs QSM_PUBLIC_URL).
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { holdYoungGeneration } from './young-generation.js'

// Before the rest of the service is even loaded: loading and migrating allocate in a burst that
// would grow V8's young generation for good (young-generation.ts). So this file imports nothing
// heavy itself, and main() loads the rest (main-modules.ts) once the hold is in place.
holdYoungGeneration()

export async function main(): Promise<void> {
  const {
    serve, serverOptions, createApp, ConfigError, DatabaseError, MigrationError, bootConfig, loggerFor, openDatabase,
    buildDeps, leaseMsFromEnv, printBanner, applyHeapPolicy, capYoungGeneration,
  } = await import('./main-modules.js')
  let boot
  try {
    boot = bootConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nFix the values above in .env (see .env.example) and start again.\n`)
      process.exit(1)
    }
    if (err instanceof Error && err.name === 'WriteAccessError') {
      process.stderr.write(`Cannot start: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const { config, wroteEnv } = boot
  applyHeapPolicy(config.heapGrowthPercent)
  capYoungGeneration(config.heapYoungMb)
  const log = loggerFor(config)
  let db
  try {
    db = await openDatabase(config, log)
  } catch (err) {
    if (err instanceof DatabaseError || err instanceof MigrationError) {
      process.stderr.write(`Cannot start: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  // QSM_LEASE_MS: the loop's lease (claims and hand-offs), as for the worker; unset, 3 × timeout + 30 s.
  // Checked with QSM_WEB_DELIVERY=false too (no loop then): a bad value is refused wherever it is set.
  let leaseMs
  try {
    leaseMs = leaseMsFromEnv(config.deliveryTimeoutMs, process.env.QSM_LEASE_MS)
  } catch (err) {
    process.stderr.write(`Cannot start: ${(err as Error).message}\n`)
    process.exit(1)
  }
  // QSM_WEB_DELIVERY=false: no loop here, so no hand-off either; new deliveries are written due and
  // a worker (or /tick) claims them.
  const deps = buildDeps({ config, db, log, inProcessLoop: config.webDelivery ? { leaseMs } : undefined, alertLoop: true })
  const app = createApp(deps)
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: serverOptions() }, (info) => {
    printBanner({ config, port: info.port, wroteEnv, dbVersion: db.version })
  })

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('stopping', { signal })
    server.close()
    // Give back leases so another process can pick up immediately instead of waiting them out.
    await deps.dispatcher.stop()
    await deps.alerts.stop()
    await deps.sender.close()
    await db.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

// Run when executed directly (node dist/server/main.mjs or tsx server/main.ts), not when imported
// (app.cjs, the CLI, tests). Compare real paths, not names: a folder such as /home/clive/ or a
// symlinked app root must not change the answer.
function runDirectly(): boolean {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    return realpathSync(fileURLToPath(import.meta.url)) === realpathSync(resolve(entry))
  } catch {
    return false
  }
}
if (runDirectly()) void main()
