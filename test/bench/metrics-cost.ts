/**
 * What metrics cost per request, in CPU time: the work they add to a request, measured
 * where nothing else differs. One Fastify instance serves gatehouse's decision twice,
 * over the same tenant state: `/plain` through a DecisionService without a tally, declared
 * before the metrics plugin (so it gets no hook), and `/counted` through one with a
 * tally, declared after it (so it gets its latency hook, as every gatehouse route does).
 * Both answer the same evaluation bodies through `inject`, taking turns of 100 requests
 * (ABBA), each turn timed by the main thread's CPU time (`threadCpuNs`). Two whole apps compared this way
 * differ by ±10% with identical settings (each compiles its own validators and
 * serializers, and the JIT treats them apart), which would drown the few per cent looked
 * for. What runs outside requests is not measured here: prom-client's process metrics (a
 * GC observer, an event loop delay monitor) and scrapes; the HTTP runs beside it
 * (`http-bench.ts`, "gatehouse + metrics") include them.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/http/app.js'
import { metricsPlugin } from '../../src/http/metrics.js'
import { createServices, DecisionService, DecisionTally } from '../../src/service/index.js'
import type { EvaluationInput } from '../../src/service/index.js'
import { openStore } from '../../src/store/connect.js'
import type { Prepared } from './http-bench.js'
import { workDir } from './http-bench.js'
import { median } from './lib/stats.js'
import { loadTemplate } from './lib/workload.js'

/** Requests per turn of one route in the interleaving. */
const CHUNK = 100

export interface MetricsCostResult {
  rounds: number
  requestsPerRound: number
  /** CPU µs per request, medians over rounds. */
  withoutUs: number
  withUs: number
  /** Median over rounds of (with − without) ÷ without, the two measured in alternating turns. */
  extra: number
  /** The same over every request of every round: Σ with ÷ Σ without − 1. */
  pooledExtra: number
}

export async function runMetricsCost (p: Prepared, opts: { rounds: number, requestsPerRound: number, log: (line: string) => void }): Promise<MetricsCostResult> {
  const work = workDir()
  const store = await openStore({ databaseUrl: undefined, dataDir: join(work, 'data') })
  const rootKey = randomBytes(24).toString('hex')
  const seeder = buildApp({ store, config: { rootKey, logLevel: 'warn', publicUrl: 'http://localhost', bodyLimit: 1024 * 1024, pollMs: 0 } })
  let app: FastifyInstance | undefined
  try {
    await seeder.ready()
    await seed(seeder, rootKey, p)
    await seeder.close()

    const services = createServices({ store, rootKey, pollMs: 0 })
    const tally = new DecisionTally()
    const counted = new DecisionService({ states: services.states, resources: services.resources, tally })
    const served = Fastify({ logger: false })
    app = served
    served.post('/plain', async request => await services.decisions.evaluate('bench', request.body as EvaluationInput))
    served.register(metricsPlugin, { services: { ...services, decisions: counted, decisionTally: tally } })
    served.register(async child => {
      child.post('/counted', async request => await counted.evaluate('bench', request.body as EvaluationInput))
    })
    await served.ready()

    const headers = { 'content-type': 'application/json' }
    const bodies = p.singles.map((e, i) => JSON.stringify({
      subject: { type: 'user', id: e.request.subject.id },
      action: { name: e.request.action },
      resource: i % 4 === 3 ? { type: e.request.resource.module, id: e.request.resource.id, properties: inlineProperties(e.request.resource) } : { type: e.request.resource.module, id: e.request.resource.id }
    }))
    const run = async (url: string, n: number): Promise<number> => {
      const start = threadCpuNs()
      for (let i = 0; i < n; i++) {
        const res = await served.inject({ method: 'POST', url, headers, payload: bodies[i % bodies.length] })
        if (res.statusCode !== 200) throw new Error(`metrics cost: ${url} answered ${res.statusCode}: ${res.body.slice(0, 200)}`)
      }
      return (threadCpuNs() - start) / 1000 / n
    }
    // Warm: every resource cached and every code path compiled, for both routes.
    for (const url of ['/plain', '/counted']) await run(url, bodies.length * 2)
    const without: number[] = []
    const withMetrics: number[] = []
    const extra: number[] = []
    const chunks = Math.max(2, Math.round(opts.requestsPerRound / CHUNK))
    for (let r = 0; r < opts.rounds; r++) {
      let a = 0
      let b = 0
      for (let c = 0; c < chunks; c++) {
        if (c % 2 === 0) {
          a += await run('/plain', CHUNK)
          b += await run('/counted', CHUNK)
        } else {
          b += await run('/counted', CHUNK)
          a += await run('/plain', CHUNK)
        }
      }
      without.push(a / chunks)
      withMetrics.push(b / chunks)
      extra.push((b - a) / a)
    }
    const scraped = await served.metrics?.scrape()
    if (scraped === undefined || !/gatehouse_http_request_duration_seconds_count\{[^}]*route="\/counted"/.test(scraped.body)) throw new Error('metrics cost: the counted route was not timed')
    opts.log(`metrics cost, per round: ${extra.map(x => `${(x * 100).toFixed(1)}%`).join(' ')}`)
    const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0)
    const result = { rounds: opts.rounds, requestsPerRound: chunks * CHUNK, withoutUs: median(without), withUs: median(withMetrics), extra: median(extra), pooledExtra: sum(withMetrics) / sum(without) - 1 }
    opts.log(`metrics cost in process: ${result.withoutUs.toFixed(1)} µs CPU per request without, ${result.withUs.toFixed(1)} µs with (median of per-round ratios ${(result.extra * 100).toFixed(2)}%, all requests pooled ${(result.pooledExtra * 100).toFixed(2)}%; ${opts.rounds} rounds of ${result.requestsPerRound} requests each, in alternating turns)`)
    return result
  } finally {
    await app?.close()
    await seeder.close()
    await store.close()
    rmSync(work, { recursive: true, force: true })
  }
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`

/**
 * Nanoseconds the main thread has run on a CPU (the scheduler's own accounting, to the
 * nanosecond). `process.cpuUsage` is counted in scheduler ticks on this kernel (4 ms):
 * a turn of 100 requests takes a few ticks, so its figure jumped by ±100%.
 */
function threadCpuNs (): number {
  return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0])
}

function inlineProperties (r: Prepared['singles'][number]['request']['resource']): Record<string, unknown> {
  const props: Record<string, unknown> = {}
  if (r.project !== undefined) props.project = r.project
  for (const [rel, values] of Object.entries(r.relations)) if (values.length > 0) props[rel] = values
  return props
}

/** The tenant, a check key, the template, and the subjects and resources the bodies name, through the API. */
async function seed (app: FastifyInstance, rootKey: string, p: Prepared): Promise<void> {
  const ok = async (method: 'PUT' | 'POST', url: string, key: string, payload: string, type = 'application/json'): Promise<string> => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}`, 'content-type': type }, payload })
    if (res.statusCode >= 300) throw new Error(`metrics cost: ${method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
    return res.body
  }
  await ok('PUT', '/v1/tenants/bench', rootKey, JSON.stringify({ name: 'Benchmark' }))
  const key = (JSON.parse(await ok('POST', '/v1/tenants/bench/keys', rootKey, JSON.stringify({ scopes: ['check', 'admin'] }))) as { secret: string }).secret
  await ok('PUT', '/v1/tenants/bench/policy', key, loadTemplate().text, 'application/yaml')
  const requests = p.singles.map(e => e.request)
  for (const subject of new Map(requests.map(q => [q.subject.id, q.subject])).values()) {
    const { id, ...body } = subject
    await ok('PUT', `/v1/tenants/bench/subjects/${encodeURIComponent(id)}`, key, JSON.stringify(body))
  }
  for (const r of new Map(requests.map(q => [`${q.resource.module}/${q.resource.id}`, q.resource])).values()) {
    await ok('PUT', `/v1/tenants/bench/resources/${r.module}/${encodeURIComponent(r.id)}`, key, JSON.stringify(inlineProperties(r)))
  }
}
