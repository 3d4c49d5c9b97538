// What server/main.ts runs, in one module it imports after holding the young generation at its
// starting size (young-generation.ts says why): static imports of main.ts itself would all be
// loaded, and allocate, before its first line ran.
export { serve } from '@hono/node-server'
export { serverOptions } from './http/server-options.js'
export { createApp } from './app.js'
export { ConfigError } from './config/load.js'
export { DatabaseError } from './db/connect.js'
export { MigrationError } from './db/migrate.js'
export { bootConfig, loggerFor, openDatabase } from './runtime.js'
export { buildDeps } from './deps.js'
export { leaseMsFromEnv } from './delivery/claim.js'
export { printBanner } from './cli/banner.js'
export { applyHeapPolicy } from './heap-policy.js'
export { capYoungGeneration } from './young-generation.js'
