// Settings for this copy of the dashboard. Edit after upload, no rebuild needed.
// apiBase: where the QSM Webhooks server answers, e.g. 'https://hooks.example.com'.
// '' means the same origin as this page (the server's own /dashboard/).
window.QSM_CONFIG = { apiBase: '' }
