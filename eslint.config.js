import neostandard from 'neostandard'

const engineForbidden = ['fastify', 'fastify-plugin', 'drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/pglite', 'pino', 'node:fs', 'node:net', 'node:http', 'yaml']

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'packages/*/dist/**', 'node_modules/**', '.tap/**', 'migrations/**', 'data/**', '.bench-against/**', 'test/client/gatehouse-api.d.ts'] }),
  {
    // INVARIANT: the engine is pure: no I/O, no clock, no environment, no logger.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: engineForbidden.filter(p => !p.includes('*')), patterns: engineForbidden.filter(p => p.includes('*')) }],
      'no-restricted-properties': ['error',
        { object: 'process', property: 'env', message: 'the engine reads no environment' },
        { object: 'Date', property: 'now', message: 'the engine takes the time as an argument' }]
    }
  },
  {
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/http/**', '**/service/**'] }] }
  },
  {
    files: ['src/service/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['fastify'], patterns: ['**/http/**'] }] }
  },
  {
    // The admin console runs in the browser, as ES modules served without a build step.
    files: ['console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { window: 'readonly', document: 'readonly', navigator: 'readonly', location: 'readonly', sessionStorage: 'readonly', addEventListener: 'readonly', removeEventListener: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly' }
    }
  }
]
