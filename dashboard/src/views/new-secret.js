// Hands a new endpoint's secret from the create form to the detail view, once, in memory only.
let pending = null

export function rememberNewSecret(id, secret) {
  pending = { id, secret }
}

export function takeNewSecret(id) {
  if (!pending || pending.id !== id) return null
  const { secret } = pending
  pending = null
  return secret
}
