/**
 * The service process: configuration → store → app → listen, and a graceful close on
 * SIGTERM / SIGINT (the app first, so that requests in flight finish, then the store).
 */
import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig } from './config.js'
import type { Config } from './config.js'
import { buildApp } from './http/app.js'
import type { ServerTimeouts } from './http/app.js'
import { createLogger } from './http/logger.js'
import { listenMetrics, urlHost } from './http/metrics-server.js'
import type { MetricsServer } from './http/metrics-server.js'
import { ensureRootKey } from './service/index.js'
import { openStore } from './store/connect.js'

/** Explicit server timeouts (Node's defaults are no request timeout and a 5 s keep-alive). */
const TIMEOUTS: ServerTimeouts = {
  requestTimeout: 30_000,
  keepAliveTimeout: 72_000,
  connectionTimeout: 0
}

/** How long a graceful close may take before the process ends anyway. */
const CLOSE_DELAY_MS = 10_000

function fail (message: string): never {
  process.stderr.write(`gatehouse: ${message}\n`)
  process.exit(1)
}

let config: Config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) fail(`cannot start: ${err.problems.join('; ')}`)
  throw err
}

const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  .catch((err: unknown) => fail(`cannot open the store: ${err instanceof Error ? err.message : String(err)}`))

const { generated } = await ensureRootKey(store, config.rootKey)
if (generated !== undefined) {
  // Printed once, on the start that generated it; only its hash is stored. On stderr, so
  // that it never lands in the JSON log stream (stdout) that log shippers keep.
  process.stderr.write(`gatehouse: generated root key (shown once, store it now; set GATEHOUSE_ROOT_KEY to use your own): ${generated}\n`)
}

const logger = createLogger(config.logLevel)
const app = buildApp({ store, config: { ...config, metrics: config.metricsPort !== undefined }, logger, timeouts: TIMEOUTS })
let metricsServer: MetricsServer | undefined

closeWithGrace({ delay: CLOSE_DELAY_MS, logger }, async ({ err, signal }) => {
  if (err !== undefined) logger.error({ err }, 'closing after an error')
  else logger.info({ signal }, 'closing')
  try {
    await metricsServer?.close()
    await app.close()
  } finally {
    await store.close()
  }
})

try {
  await app.listen({ port: config.port, host: config.host })
  // Metrics first: the "Server listening" line, last, says that everything is up.
  if (config.metricsPort !== undefined) {
    metricsServer = await listenMetrics(app, { port: config.metricsPort, host: config.metricsHost, token: config.metricsToken })
    logger.info({ metrics: metricsServer.url, token: config.metricsToken !== undefined }, `metrics at ${metricsServer.url}${config.metricsToken === undefined ? '' : ' (bearer token required)'}`)
  }
  // The addresses really bound (port 0 gets one from the system; `::` may serve IPv4 too).
  const addresses = app.addresses().map(a => typeof a === 'string' ? a : `http://${urlHost(a)}`)
  logger.info({ addresses }, `Server listening at ${addresses.join(', ')}`)
} catch (err) {
  logger.error({ err }, 'cannot listen')
  await store.close()
  process.exit(1)
}
