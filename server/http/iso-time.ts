// The one conversion from stored unix milliseconds (how every table keeps time) to the ISO 8601
// strings the API answers with.
export const isoTime = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString())
