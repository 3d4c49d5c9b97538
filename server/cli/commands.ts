// Long-running CLI commands (tick, worker). (Being built with the delivery engine.)
import type { Config } from '../config/schema.js'
import type { Logger } from '../log.js'

export async function runCommand(command: string, _args: string[], _config: Config, _log: Logger): Promise<number> {
  process.stderr.write(`Unknown command "${command}". Run qsm-webhooks help.\n`)
  return 2
}
