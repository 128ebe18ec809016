/**
 * Metrics in the Prometheus text format, read by `scrape` (served on its own port by
 * `metrics-server.ts`, never on the API's). Each app has its own prom-client registry,
 * so that several apps in one process (tests, a replica pair) never share a series.
 *
 * The request path pays plain increments only: each route gets its own `onResponse` hook
 * (added as it is declared), holding its latency buckets per status code, and decisions
 * and cache lookups are counted by the services (src/service/tallies.ts). prom-client
 * reads all of it at scrape time. A prom-client `observe` or `inc` with labels costs
 * 0.3 to 1 µs on this machine (it builds a key from the label values on every call), which
 * would be several per cent of a decision's 30 to 60 µs.
 *
 * Labels are bounded: route patterns (never a raw URL), status codes the catalogue has,
 * modules the policies declare (else `(unknown)`, and past a bound `(other)`), reason
 * codes, cache and work names. Never a tenant id or a subject.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { Buckets, StoreError } from '../service/index.js'
import type { Services } from '../service/index.js'

/** Upper bounds of request latency, in seconds: a warm decision answers in the first two. */
export const LATENCY_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

export interface AppMetrics {
  readonly registry: Registry
  /** The exposition text of every metric, and its content type. */
  scrape: () => Promise<{ contentType: string, body: string }>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's metrics; `undefined` when it was built without (`config.metrics`). */
    readonly metrics: AppMetrics | undefined
  }
}

/** A histogram's series: its labels and its buckets. */
interface Series<L extends string> {
  labels: Record<L, string>
  buckets: Buckets
}

interface PromValue {
  value: number
  labels: Record<string, string | number>
  sharedLabels?: Record<string, string>
  metricName: string
}

/**
 * A prom-client histogram whose values are read at scrape time from `Buckets` that the
 * hot path filled, instead of from its own `observe`. It answers the registry as
 * prom-client's own histogram does (`getForPromString`, which the registry reads for the
 * text format and `get` for JSON), in cumulative buckets with `+Inf`, `_sum` and `_count`.
 */
class BucketHistogram<L extends string> extends Histogram<L> {
  readonly #read: () => Iterable<Series<L>>

  constructor (opts: { name: string, help: string, labelNames: readonly L[], bounds: readonly number[], read: () => Iterable<Series<L>> }) {
    super({ name: opts.name, help: opts.help, labelNames: opts.labelNames, buckets: [...opts.bounds], registers: [] })
    this.#read = opts.read
  }

  async getForPromString (): Promise<{ name: string, help: string, type: 'histogram', values: PromValue[], aggregator: 'sum' }> {
    const values: PromValue[] = []
    const name = (this as unknown as { name: string }).name
    for (const { labels, buckets } of this.#read()) {
      let cumulative = 0
      for (let i = 0; i < buckets.counts.length; i++) {
        cumulative += buckets.counts[i] as number
        const le = i < buckets.bounds.length ? buckets.bounds[i] as number : '+Inf'
        values.push({ value: cumulative, labels: { le }, sharedLabels: labels, metricName: `${name}_bucket` })
      }
      values.push({ value: buckets.sum, labels: {}, sharedLabels: labels, metricName: `${name}_sum` })
      values.push({ value: buckets.count, labels: {}, sharedLabels: labels, metricName: `${name}_count` })
    }
    return { name, help: (this as unknown as { help: string }).help, type: 'histogram', values, aggregator: 'sum' }
  }
}

/** A route's latency buckets, per status code. */
class RouteLatency {
  readonly method: string
  readonly route: string
  readonly byStatus = new Map<number, Buckets>()

  constructor (method: string, route: string) {
    this.method = method
    this.route = route
  }

  observe (status: number, seconds: number): void {
    let buckets = this.byStatus.get(status)
    if (buckets === undefined) this.byStatus.set(status, buckets = new Buckets(LATENCY_BOUNDS))
    buckets.observe(seconds)
  }
}

/** Store failures seen by requests (not-found and conflicts are answers, not failures). */
const STORE_FAILURES = ['unavailable', 'internal'] as const

export const metricsPlugin = fp(async function metrics (app: FastifyInstance, opts: { services: Services | undefined }) {
  const { services } = opts
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const routes: RouteLatency[] = []
  app.addHook('onRoute', routeOptions => {
    // A route declared with several methods is one series (gatehouse declares none so).
    const method = Array.isArray(routeOptions.method) ? routeOptions.method.join(',') : routeOptions.method
    const latency = new RouteLatency(method, routeOptions.url ?? routeOptions.path)
    routes.push(latency)
    const hook: onResponseHookHandler = (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      latency.observe(reply.statusCode, reply.elapsedTime / 1000)
      done()
    }
    const existing = routeOptions.onResponse
    routeOptions.onResponse = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook]
  })
  registry.registerMetric(new BucketHistogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time from a request\'s arrival to its response sent, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    bounds: LATENCY_BOUNDS,
    * read () {
      for (const { method, route, byStatus } of routes) {
        for (const [status, buckets] of byStatus) yield { labels: { method, route, status_code: String(status) }, buckets }
      }
    }
  }))

  const storeFailures = { unavailable: 0, internal: 0 }
  app.addHook('onError', (_request, _reply, err, done) => {
    if (err instanceof StoreError && (err.kind === 'unavailable' || err.kind === 'internal')) storeFailures[err.kind]++
    done()
  })
  registry.registerMetric(new Counter({
    registers: [],
    name: 'gatehouse_store_errors_total',
    help: 'Requests that failed on the store: unavailable (answered 503) or internal (answered 500)',
    labelNames: ['kind'],
    collect () {
      this.reset()
      for (const kind of STORE_FAILURES) this.inc({ kind }, storeFailures[kind])
    }
  }))

  if (services !== undefined) registerServiceMetrics(registry, services)

  const appMetrics: AppMetrics = {
    registry,
    scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() })
  }
  app.decorate('metrics', appMetrics)
}, { name: 'gatehouse-metrics', fastify: '5.x' })

function registerServiceMetrics (registry: Registry, services: Services): void {
  const { decisionTally, cacheCounts, background, states, propagation, policyWorkers } = services
  if (decisionTally !== undefined) {
    registry.registerMetric(new Counter({
      registers: [],
      name: 'gatehouse_decisions_total',
      help: 'Decisions made, by module (`(unknown)`: one the policy lacks), reason code and outcome',
      labelNames: ['module', 'reason', 'decision'],
      collect () {
        this.reset()
        for (const { module, reason, allowed, count } of decisionTally.counts()) this.inc({ module, reason, decision: allowed ? 'allow' : 'deny' }, count)
      }
    }))
  }
  registry.registerMetric(new Counter({
    registers: [],
    name: 'gatehouse_cache_requests_total',
    help: 'Cache lookups by cache and result: hit (answered from memory) or miss (read from the store)',
    labelNames: ['cache', 'result'],
    collect () {
      this.reset()
      for (const [cache, counts] of Object.entries(cacheCounts)) {
        this.inc({ cache, result: 'hit' }, counts.hits)
        this.inc({ cache, result: 'miss' }, counts.misses)
      }
    }
  }))
  registry.registerMetric(new Counter({
    registers: [],
    name: 'gatehouse_background_failures_total',
    help: 'Failures of background work: tenant state refreshes, the revision poll, the change feed connection',
    labelNames: ['work'],
    collect () {
      this.reset()
      for (const [work, count] of Object.entries(background.counters().failures)) this.inc({ work }, count)
    }
  }))
  registry.registerMetric(new Counter({
    registers: [],
    name: 'gatehouse_policy_worker_failures_total',
    help: 'Policy jobs (large bundle compiles, diffs, suites) a worker thread did not answer, answered 503: crash (the thread died), timeout, busy (queue full)',
    labelNames: ['kind'],
    collect () {
      this.reset()
      for (const [kind, count] of Object.entries(policyWorkers.failures)) this.inc({ kind }, count)
    }
  }))
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'gatehouse_tenants_loaded',
    help: 'Tenant states held in memory',
    collect () { this.set(states.loaded().length) }
  }))
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'gatehouse_tenants_stale',
    help: 'Tenant states whose last refresh failed: they answer from an older revision',
    collect () { this.set(background.counters().staleTenants) }
  }))
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'gatehouse_change_feed_up',
    help: '1 while the change feed (other replicas\' writes) is connected, else 0',
    collect () { this.set(propagation.status.up ? 1 : 0) }
  }))
  registry.registerMetric(new BucketHistogram({
    name: 'gatehouse_propagation_lag_seconds',
    help: 'From another replica\'s write (its audit time, the database clock) to its being applied here',
    labelNames: [],
    bounds: background.lag.bounds,
    * read () { yield { labels: {}, buckets: background.lag } }
  }))
}
