/**
 * tap's `before` script (`.taprc`): the migrated PGlite template every test file opens,
 * and the worker threads' entries and the CLI bundled to JavaScript.
 */
await import('./pglite-template.js')
await import('./bundles.js')
