/**
 * `buildApp`: the Fastify application, with every plugin registered here, in order, so
 * that the security-relevant wiring is visible in one place. It never listens.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_AUTH_FAILURE_LIMIT, DEFAULT_AUTH_FAILURE_WINDOW_MS } from '../config.js'
import type { Config } from '../config.js'
import { createServices, filterJsonSchema, queryPlanJsonSchema } from '../service/index.js'
import type { Services, Store } from '../service/index.js'
import { consoleRoutes } from './console.js'
import { clientErrorHandler, errorsPlugin, HttpError, sendError } from './errors.js'
import { createLogger, loggingPlugin } from './logger.js'
import { lazySerializers, lazyValidators } from './lazy-compilers.js'
import type { Logger } from './logger.js'
import { metricsPlugin } from './metrics.js'
import { authPlugin } from './plugins/auth.js'
import { escapeFreeJson, inputGuardPlugin } from './plugins/input-guard.js'
import { requestIdOf, requestIdPlugin } from './plugins/request-id.js'
import { servicesPlugin } from './plugins/services.js'
import { swaggerPlugin } from './plugins/swagger.js'
import { policyDiffSchema, suiteDocSchema } from './schemas/policy-tools.js'
import { evaluationRoutes } from './routes/access/v1/evaluation.js'
import { evaluationsRoutes } from './routes/access/v1/evaluations.js'
import { searchRoutes } from './routes/access/v1/search.js'
import { healthRoutes } from './routes/health.js'
import { templateRoutes } from './routes/v1/templates.js'
import { auditRoutes } from './routes/v1/tenants/audit.js'
import { directoryRoutes } from './routes/v1/tenants/directory.js'
import { keyRoutes } from './routes/v1/tenants/keys.js'
import { policyDiffRoutes } from './routes/v1/tenants/policy-diff.js'
import { policyPartRoutes } from './routes/v1/tenants/policy-parts.js'
import { policyTestRoutes } from './routes/v1/tenants/policy-tests.js'
import { policyRoutes } from './routes/v1/tenants/policy.js'
import { resourceRoutes } from './routes/v1/tenants/resources.js'
import { subjectRoutes } from './routes/v1/tenants/subjects.js'
import { tenantRoutes } from './routes/v1/tenants/tenant.js'
import { wellKnownRoutes } from './routes/well-known.js'
import './types.js'

export type AppConfig = Pick<Config, 'rootKey' | 'logLevel' | 'publicUrl' | 'bodyLimit'> & {
  /** Count for `app.metrics` (src/http/metrics.ts); default: nothing counted, `app.metrics` undefined. */
  metrics?: boolean
} & Partial<Pick<Config, 'pollMs' | 'staleAfterMs' | 'maxTenants' | 'resourceCacheSize' | 'keyCacheSize' | 'unknownKeyCacheSize' | 'searchFactsCacheMb' | 'authFailureLimit' | 'authFailureWindowMs' | 'trustProxy'>>

export interface ServerTimeouts {
  /** Whole request, headers and body (Node `server.requestTimeout`). */
  requestTimeout: number
  /** Idle keep-alive connection (Node `server.keepAliveTimeout`). */
  keepAliveTimeout: number
  /** Socket inactivity (Node `server.setTimeout`); 0 disables it. */
  connectionTimeout: number
}

export interface AppDeps {
  /**
   * The store. Omitted only to describe the API (`scripts/openapi.ts`): every route that
   * needs it then answers 503.
   */
  store?: Store
  /** Use these services instead of creating them over `store` (tests, the CLI). */
  services?: Services
  config: AppConfig
  /** The service's logger; default: a new one at `config.logLevel` (see `logger.ts`). */
  logger?: Logger
  /** Default: 30 s per request, 72 s keep-alive (above common load balancer idle times), no socket timeout. */
  timeouts?: ServerTimeouts
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { requestTimeout: 30_000, keepAliveTimeout: 72_000, connectionTimeout: 0 }

export function buildApp (deps: AppDeps): FastifyInstance {
  const { config } = deps
  const timeouts = deps.timeouts ?? DEFAULT_TIMEOUTS
  const logger = deps.logger ?? createLogger(config.logLevel)
  const app = Fastify({
    // gatehouse logs through its own logger, so that a request pays only for the lines it writes.
    logger: false,
    bodyLimit: config.bodyLimit,
    genReqId: requestIdOf,
    requestIdHeader: false,
    ...timeouts,
    // The errors plugin answers requests that arrive while closing (with Retry-After).
    return503OnClosing: false,
    // Requests Node's HTTP parser refuses get the documented error body too.
    clientErrorHandler,
    // Who the client is, for the failed-authentication limit (`plugins/auth.ts`).
    trustProxy: config.trustProxy ?? false,
    // Errors raised before routing (a malformed URL) get the same JSON body as the rest.
    frameworkErrors: (err, request, reply) => sendError(err, request, reply),
    // Validators and serializers are compiled on first use, not before the service listens (`lazy-compilers.ts`).
    schemaController: { compilersFactory: { buildValidator: lazyValidators(), buildSerializer: lazySerializers() } },
    ajv: {
      customOptions: {
        // STYLE §2.5 (4): unknown keys are errors, never silently dropped; nothing is
        // coerced or defaulted into the input; the first error only (ajv DoS advice).
        removeAdditional: false,
        allErrors: false,
        coerceTypes: false,
        useDefaults: false
      }
    }
  })
  const services = deps.services ?? (deps.store === undefined ? undefined : createServices({ store: deps.store, rootKey: config.rootKey, logger, pollMs: config.pollMs, staleAfterMs: config.staleAfterMs, maxTenants: config.maxTenants, resourceCacheSize: config.resourceCacheSize, keyCacheSize: config.keyCacheSize, unknownKeyCacheSize: config.unknownKeyCacheSize, searchFactsCacheMb: config.searchFactsCacheMb, tallyDecisions: config.metrics === true }))
  // Other replicas' writes reach this one's caches through the store's change feed.
  if (services !== undefined) {
    const { propagation } = services
    app.addHook('onReady', async () => { await propagation.start() })
    app.addHook('onClose', async () => { await propagation.stop() })
    app.addHook('onClose', async () => { await services.policyWorkers.close() })
  }

  // Only JSON (and, on the policy route, YAML) bodies: any other type answers 415. An
  // empty JSON body is no body at all, so that routes with a body schema answer
  // `body is required` and bodiless routes do not mind a stray content type.
  app.removeContentTypeParser(['text/plain', 'application/json'])
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined)
      return
    }
    // The input guard need not look for NUL and lone surrogates in the strings of a text without escapes.
    request.bodyEscapeFree = escapeFreeJson(body as string)
    parseJson(request, body as string, (err, value) => {
      // Fastify's parser refuses `__proto__` and `constructor.prototype` keys with the same
      // error as a syntax error; telling them apart costs a second parse, on the error path only.
      if (err !== null && isJson(body as string)) {
        done(new HttpError('invalid_json', 'the body may not have a `__proto__` or `constructor.prototype` key', [
          { in: 'body', path: '', message: 'has a `__proto__` or `constructor.prototype` key', code: 'prototype_key' }
        ]), undefined)
        return
      }
      done(err, value)
    })
  })

  // Root plugins, in dependency order.
  app.register(loggingPlugin, { logger })
  app.register(errorsPlugin)
  app.register(requestIdPlugin)
  app.register(inputGuardPlugin)
  app.register(servicesPlugin, { services })
  // Before every route: each route gets its latency hook as it is declared.
  if (config.metrics === true) app.register(metricsPlugin, { services })
  else app.decorate('metrics', undefined)
  app.register(swaggerPlugin, { version: packageVersion(), publicUrl: config.publicUrl })
  // Shared components of the policy tools: the suite (documentation) and the impact report.
  app.addSchema(suiteDocSchema)
  app.addSchema(policyDiffSchema)
  // The query plan of resource search (ADR 0002).
  app.addSchema(filterJsonSchema)
  app.addSchema(queryPlanJsonSchema)
  app.register(authPlugin, { failureLimit: config.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT, failureWindowMs: config.authFailureWindowMs ?? DEFAULT_AUTH_FAILURE_WINDOW_MS })

  // Public routes.
  app.register(healthRoutes)
  app.register(wellKnownRoutes, { publicUrl: config.publicUrl })
  // The admin console: static files only; its calls carry the key the user pasted.
  app.register(consoleRoutes)

  // Protected routes: every route below authenticates first and declares its access rule.
  app.register(async function protectedRoutes (api) {
    api.protect()
    await api.register(evaluationRoutes)
    await api.register(evaluationsRoutes)
    await api.register(searchRoutes)
    await api.register(tenantRoutes)
    await api.register(keyRoutes)
    await api.register(policyRoutes)
    await api.register(policyTestRoutes)
    await api.register(policyDiffRoutes)
    await api.register(policyPartRoutes)
    await api.register(subjectRoutes)
    await api.register(directoryRoutes)
    await api.register(auditRoutes)
    await api.register(resourceRoutes)
    await api.register(templateRoutes)
  })

  return app
}

function isJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

let version: string | undefined

/** gatehouse's version, from the nearest `package.json` (works from `src/` and `dist/src/`). */
function packageVersion (): string {
  if (version !== undefined) return version
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'gatehouse' && typeof pkg.version === 'string') {
        version = pkg.version
        return version
      }
    }
    const up = dirname(dir)
    if (up === dir) return '0.0.0'
    dir = up
  }
}
