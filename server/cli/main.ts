// The command line: migrate, token, cron-line, tick, worker. Clear output, non-zero exit on failure.
import { ConfigError } from '../config/load.js'
import { DatabaseError } from '../db/connect.js'
import { MigrationError } from '../db/migrate.js'
import { bootConfig, loggerFor, openDatabase } from '../runtime.js'
import { isEmailAddress, mintToken } from '../auth/token.js'
import { runCommand } from './commands.js'
import { applyHeapPolicy } from '../heap-policy.js'
import { capYoungGeneration } from '../young-generation.js'

const USAGE = `Usage: qsm-webhooks <command>

  migrate            create or upgrade the database tables
  token USER_ID [--email ADDRESS]
                     print a one-hour dashboard sign-in link for a user (--email: where endpoint alerts go)
  cron-line          print the line to paste into your host's cron
  tick               run due deliveries once (what /tick does) and print a summary
  worker             run deliveries continuously until stopped (SIGTERM/Ctrl-C)
`

export async function cli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE)
    return command ? 0 : 1
  }
  try {
    const { config, wroteEnv } = bootConfig()
    // The worker and /tick-style commands allocate like the web process (server/heap-policy.ts).
    applyHeapPolicy(config.heapGrowthPercent)
    capYoungGeneration(config.heapYoungMb)
    if (wroteEnv) process.stdout.write('Wrote .env with fresh random secrets.\n')
    const log = loggerFor(config)
    switch (command) {
      case 'token': {
        const emailAt = rest.indexOf('--email')
        const email = emailAt >= 0 ? rest[emailAt + 1] : undefined
        const userId = rest.filter((_, i) => emailAt < 0 || (i !== emailAt && i !== emailAt + 1))[0]
        if (!userId || userId.length > 64) {
          process.stderr.write('token needs a user id (1-64 characters): qsm-webhooks token USER_ID [--email ADDRESS]\n')
          return 2
        }
        if (emailAt >= 0 && (!email || !isEmailAddress(email))) {
          process.stderr.write('--email needs an e-mail address, e.g. --email you@example.com\n')
          return 2
        }
        const token = await mintToken(config.bridgeSecret, userId, Date.now(), undefined, { email })
        process.stdout.write(`Dashboard link for user ${userId} (valid for one hour):\n  ${config.dashboardUrl}#token=${token}\n\nToken only:\n  ${token}\n`)
        return 0
      }
      case 'cron-line': {
        // On stderr, so `cron-line | tail -n 1` and copy-paste still get the line alone.
        if (!config.publicUrlSet) process.stderr.write(`QSM_PUBLIC_URL is not set, so this line guesses ${config.publicUrl}. Under Passenger (cPanel) that address is wrong: set QSM_PUBLIC_URL in .env to the app's address.\n`)
        process.stdout.write(`*/5 * * * * curl -fsS --max-time ${config.tickBudgetSeconds + 30} "${config.publicUrl}/tick?token=${config.cronToken}" >/dev/null\n`)
        return 0
      }
      case 'migrate': {
        const db = await openDatabase(config, log)
        process.stdout.write(`Database is up to date (${db.version}).\n`)
        await db.close()
        return 0
      }
      default:
        return await runCommand(command, rest, config, log)
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DatabaseError || err instanceof MigrationError) {
      process.stderr.write(`${err.message}\n`)
      return 1
    }
    throw err
  }
}

const direct = process.argv[1] && /cli(\/main)?\.(m?js|ts)$/.test(process.argv[1])
if (direct) cli(process.argv.slice(2)).then((code) => process.exit(code))
