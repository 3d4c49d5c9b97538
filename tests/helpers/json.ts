// Reads a response body as JSON when it is JSON; otherwise `fallback(text)` (the raw text by
// default), so a test can show what a non-JSON answer said.
export function parseJsonOr(text: string, fallback: (text: string) => unknown = (t) => t): any {
  try {
    return text ? JSON.parse(text) : null
  } catch {
    return fallback(text)
  }
}
