// What a user id may look like, wherever one enters: the dashboard token's `sub` and an event's
// `user_id`. Ids are opaque, but MariaDB's utf8mb4_bin compares with PAD SPACE ("alice " equals
// "alice"), and a space or a control character at an edge is never meant: refusing them at the
// door keeps two spellings of one id from ever reaching the database (the nopad migration is the
// second line of defence).

export const USER_ID_MAX = 64

const CONTROL = '\\x00-\\x1f\\x7f-\\x9f'
/**
 * 1 to 64 characters; no control characters; no whitespace (\s: spaces, tabs, NBSP, U+3000, BOM…)
 * first or last. Also published in the event JSON Schemas as `pattern`, so it stays ECMA-262 plain.
 */
export const USER_ID_PATTERN = new RegExp(`^[^\\s${CONTROL}](?:[^${CONTROL}]*[^\\s${CONTROL}])?$`)

export const USER_ID_RULE = 'must not start or end with whitespace or contain control characters'

/** Why this value is not a usable user id, or null when it is one. */
export function userIdProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'is missing'
  if (value.length > USER_ID_MAX) return `is longer than ${USER_ID_MAX} characters`
  if (!USER_ID_PATTERN.test(value)) return USER_ID_RULE
  return null
}
