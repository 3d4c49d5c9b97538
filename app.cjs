// Startup file for cPanel "Setup Node.js App" (Phusion Passenger). Passenger loads startup files
// with require(), which cannot load ES modules, so this CommonJS file imports the ESM build.
// Run `npm run build` (or `npm start` once) before pointing Passenger here.
import('./dist/server/main.mjs')
  .then((m) => m.main())
  .catch((err) => {
    console.error('QSM Webhooks failed to start:', err && err.message ? err.message : err)
    process.exit(1)
  })
