// A small leveled logger writing one JSON line per entry. Every line passes through redact(), so a
// secret that slips into a message or field is replaced before it reaches the log.
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent'
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

const WHSEC = /whsec_[A-Za-z0-9+/=]{8,}/g

export function createLogger(opts: { level: Level; secrets?: string[]; write?: (line: string) => void }): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 8)
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'))
  const redact = (text: string) => {
    let out = text.replace(WHSEC, 'whsec_[redacted]')
    for (const s of secrets) out = out.split(s).join('[redacted]')
    return out
  }
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[opts.level]) return
    write(redact(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields })))
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  }
}
