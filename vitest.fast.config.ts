// `npm run test:fast`: the unit and HTTP tests, on SQLite only, for the edit-test loop. Left out
// (npm test runs them): Chromium (tests/dashboard), PHP and docs (tests/bridge, tests/docs,
// tests/hosting), several processes (tests/reliability, tests/integration, the built server in
// tests/server/main/start.test.ts, the service started in tests/security/secrets.test.ts), and MySQL.
import { configDefaults, defineConfig } from 'vitest/config'
import base from './vitest.config.js'

// Read by tests/helpers/global-setup.ts, which runs in this process.
process.env.QSM_TEST_DATABASES ??= 'sqlite'

// Not mergeConfig: it would append these lists to the base config's instead of replacing them.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/server/**/*.test.ts', 'tests/security/**/*.test.ts'],
    // One module cache per worker instead of one per file: most of the time went to importing and
    // transforming the server again for each file.
    isolate: false,
    exclude: [...configDefaults.exclude, 'tests/server/main/start.test.ts', 'tests/security/secrets.test.ts'],
  },
})
