import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

t.test('defaults', async t => {
  t.same(loadConfig({}), {
    port: 8080,
    host: '0.0.0.0',
    databaseUrl: undefined,
    dataDir: './data',
    rootKey: undefined,
    logLevel: 'info',
    publicUrl: 'http://localhost:8080',
    bodyLimit: 1024 * 1024,
    pollMs: 5000,
    staleAfterMs: 30_000,
    maxTenants: 10_000,
    resourceCacheSize: 50_000,
    keyCacheSize: 10_000,
    unknownKeyCacheSize: 10_000,
    authFailureLimit: 20,
    authFailureWindowMs: 60_000,
    trustProxy: false,
    searchFactsCacheMb: 64,
    metricsPort: undefined,
    metricsHost: '127.0.0.1',
    metricsToken: undefined
  })
})

t.test('every variable is read; empty ones count as unset', async t => {
  const config = loadConfig({
    PORT: '9000',
    HOST: '127.0.0.1',
    DATABASE_URL: 'postgres://u:p@db:5432/gh',
    GATEHOUSE_DATA_DIR: '/var/lib/gh',
    GATEHOUSE_ROOT_KEY: 'a-long-enough-root-key',
    LOG_LEVEL: 'warn',
    GATEHOUSE_PUBLIC_URL: 'https://pdp.example.com/acme/',
    BODY_LIMIT: '2048',
    GATEHOUSE_POLL_MS: '250',
    GATEHOUSE_STALE_AFTER_MS: '1500',
    GATEHOUSE_MAX_TENANTS: '20',
    GATEHOUSE_RESOURCE_CACHE: '300',
    GATEHOUSE_KEY_CACHE: '40',
    GATEHOUSE_UNKNOWN_KEY_CACHE: '50',
    GATEHOUSE_AUTH_FAILURES: '5',
    GATEHOUSE_AUTH_FAILURE_WINDOW_MS: '30000',
    GATEHOUSE_TRUST_PROXY: '10.0.0.0/8, loopback,fd00::1',
    GATEHOUSE_SEARCH_FACTS_MB: '0',
    GATEHOUSE_METRICS_PORT: '9100',
    GATEHOUSE_METRICS_HOST: '0.0.0.0',
    GATEHOUSE_METRICS_TOKEN: 'a-long-enough-scrape-token'
  })
  t.match(config, { port: 9000, host: '127.0.0.1', databaseUrl: 'postgres://u:p@db:5432/gh', dataDir: '/var/lib/gh', rootKey: 'a-long-enough-root-key', logLevel: 'warn', bodyLimit: 2048, pollMs: 250, staleAfterMs: 1500, maxTenants: 20, resourceCacheSize: 300, keyCacheSize: 40, unknownKeyCacheSize: 50, authFailureLimit: 5, authFailureWindowMs: 30_000, searchFactsCacheMb: 0, metricsPort: 9100, metricsHost: '0.0.0.0', metricsToken: 'a-long-enough-scrape-token' })
  t.same(config.trustProxy, ['10.0.0.0/8', 'loopback', 'fd00::1'])
  t.equal(loadConfig({ GATEHOUSE_TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(loadConfig({ GATEHOUSE_TRUST_PROXY: 'false' }).trustProxy, false)
  t.equal(loadConfig({ GATEHOUSE_AUTH_FAILURES: '0' }).authFailureLimit, 0, 'the limit may be switched off')
  t.equal(config.publicUrl, 'https://pdp.example.com/acme', 'no trailing slash')
  t.equal(loadConfig({ PORT: '9001', GATEHOUSE_ROOT_KEY: '  ' }).publicUrl, 'http://localhost:9001', 'the default public url follows the port')
  t.equal(loadConfig({ GATEHOUSE_ROOT_KEY: '' }).rootKey, undefined)
})

t.test('bad values stop start-up, all of them named at once', async t => {
  const err = (() => {
    try {
      loadConfig({ PORT: '70000', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'chatty', GATEHOUSE_PUBLIC_URL: 'https://x.example.com/?q=1', BODY_LIMIT: '1kb', GATEHOUSE_ROOT_KEY: 'short' })
    } catch (e) {
      return e
    }
    return undefined
  })()
  t.type(err, ConfigError)
  const problems = (err as ConfigError).problems
  for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'GATEHOUSE_PUBLIC_URL', 'BODY_LIMIT', 'GATEHOUSE_ROOT_KEY']) {
    t.ok(problems.some(p => p.includes(`\`${name}\``)), `names ${name}`)
  }
  t.notMatch((err as ConfigError).message, /short/, 'the root key value is never echoed')
  t.throws(() => loadConfig({ PORT: '-1' }), ConfigError)
  t.throws(() => loadConfig({ GATEHOUSE_STALE_AFTER_MS: '10' }), ConfigError, 'a bound under a second would flap')
  for (const name of ['GATEHOUSE_MAX_TENANTS', 'GATEHOUSE_RESOURCE_CACHE', 'GATEHOUSE_KEY_CACHE']) {
    const problems = (() => {
      try { loadConfig({ [name]: '0' }) } catch (e) { return (e as ConfigError).problems }
      return []
    })()
    t.match(problems, [new RegExp(`\`${name}\` must be an integer from 1`)], `${name} must be at least 1`)
  }
  const problemsOf = (env: Record<string, string>): string[] => {
    try { loadConfig(env) } catch (e) { return (e as ConfigError).problems }
    return []
  }
  for (const proxy of ['1', 'yes', '10.0.0.0/33', '300.1.1.1', '10.0.0.1/8/8', 'fd00::/129', '10.0.0.1,']) {
    t.match(problemsOf({ GATEHOUSE_TRUST_PROXY: proxy }), [/`GATEHOUSE_TRUST_PROXY` must be/], `GATEHOUSE_TRUST_PROXY=${proxy}`)
  }
  t.match(problemsOf({ GATEHOUSE_AUTH_FAILURE_WINDOW_MS: '999' }), [/`GATEHOUSE_AUTH_FAILURE_WINDOW_MS` must be an integer from 1000/])
  t.match(problemsOf({ GATEHOUSE_UNKNOWN_KEY_CACHE: '0' }), [/`GATEHOUSE_UNKNOWN_KEY_CACHE` must be an integer from 1/])
  t.throws(() => loadConfig({ GATEHOUSE_SEARCH_FACTS_MB: '-1' }), ConfigError, 'the search facts cache may be 0 (off), not less')
  t.throws(() => loadConfig({ GATEHOUSE_PUBLIC_URL: 'ftp://x' }), ConfigError)
  t.match(problemsOf({ GATEHOUSE_METRICS_PORT: '70000' }), [/`GATEHOUSE_METRICS_PORT` must be an integer from 0 to 65535/])
  t.match(problemsOf({ PORT: '9000', GATEHOUSE_METRICS_PORT: '9000' }), [/`GATEHOUSE_METRICS_PORT` must differ from `PORT`/], 'metrics never share the API port')
  t.same(problemsOf({ PORT: '0', GATEHOUSE_METRICS_PORT: '0' }), [], 'two ports chosen by the system differ')
  const token = problemsOf({ GATEHOUSE_METRICS_TOKEN: 'short' })
  t.match(token, [/`GATEHOUSE_METRICS_TOKEN` must be at least 16 characters/])
  t.notMatch(token.join(), /short/, 'the token is never echoed')
  t.throws(() => loadConfig({ GATEHOUSE_PUBLIC_URL: 'https://user:pw@x.example.com' }), ConfigError)
})
