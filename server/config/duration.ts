// Durations in config accept "30s", "5m", "2h", "1d" or plain milliseconds ("1500").
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses one duration to milliseconds; returns null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text)
  if (!match) return null
  const value = Number(match[1])
  const unit = match[2] ?? 'ms'
  const ms = Math.round(value * UNIT_MS[unit]!)
  return Number.isFinite(ms) ? ms : null
}

/** Formats milliseconds back to the shortest exact unit, for banners and docs ("5m", "2h"). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
