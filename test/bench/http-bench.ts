/**
 * HTTP benchmark: `POST /access/v1/evaluation` of the real service (embedded PGlite,
 * seeded through its API) against a bare Fastify route (the ceiling) and a real Cerbos
 * PDP serving the same rules, each server alone on core 0, autocannon (50 connections)
 * on core 1. Also AuthZEN `evaluations` with 100 checks per request against Cerbos
 * `CheckResources` with 100 resources. Every answer of every request body is checked
 * against gatehouse's engine before timing.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { decide } from '../../src/engine/index.js'
import type { Decision, Subject } from '../../src/engine/index.js'
import { resourceFacts } from './engines/gatehouse.js'
import type { LoadJob, LoadResult } from './http/load.js'
import type { SchedTimes, Started } from './http/processes.js'
import { builtService, freePort, hasTaskset, schedTimes, startPinned, startServer, TSX, waitReady, wakeIpis } from './http/processes.js'
import { int, median, ratio, sig, table } from './lib/stats.js'
import { runMetricsCost } from './metrics-cost.js'
import type { MetricsCostResult } from './metrics-cost.js'
import type { BenchRequest, BenchResource, Workload } from './lib/workload.js'
import { buildWorkload, loadTemplate, TEMPLATE } from './lib/workload.js'
import { cerbosPolicies, cerbosPrincipal, cerbosResource } from './translate/cerbos.js'
import type { Translation } from './translate/translation.js'
import { translate } from './translate/translation.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TENANT = 'bench'
/** Busy work per request of the calibration route, in µs: about what gatehouse's own code adds per request. */
const CALIBRATION_US = 5
/** The core the load generator is pinned to (the servers run on core 0). */
const GENERATOR_CPU = 1

export interface HttpBenchOptions {
  subjects: number
  /** Distinct request bodies cycled through by the load generator. */
  pool: number
  batches: number
  batchSize: number
  connections: number
  /** Measured seconds of each run of the load generator. */
  seconds: number
  /**
   * Rounds of the compared routes (gatehouse, the bare route, the calibration route),
   * each round running them one after another in a rotated order; figures are the median
   * round's and ratios the medians of per-round ratios, so that a burst of load elsewhere
   * on the machine moves one round, not the ratio.
   */
  rounds: number
  warmupSeconds: number
  /** Back-to-back pairs of the in-process metrics cost measure (`metrics-cost.ts`), and requests per variant and pair. */
  metricsCost: { rounds: number, requestsPerRound: number }
  log: (line: string) => void
}

export interface HttpFigure {
  target: string
  what: string
  /** Share of one core the server used during the measured run (CPU time ÷ wall time); `null` where it cannot be read. */
  serverCpu: number | null
  /** Time the server's threads were runnable but waited for a CPU (other processes had it), ÷ wall time. */
  serverWait: number | null
  /** The same two shares for the load generator (autocannon, on core 1). */
  generatorCpu: number | null
  generatorWait: number | null
  /**
   * Wake-up IPIs received by the load generator's core per request (`wakeIpis`): how
   * often a response found the generator asleep. `null` where they cannot be read.
   */
  generatorIpisPerRequest: number | null
  /** Requests per second of server CPU time: what the server would do with its core to itself. */
  requestsPerCpuSecond: number | null
  requestsPerSecond: number
  /** Requests/s of each round, in round order, for the compared routes (see `rounds`). */
  roundsRequestsPerSecond?: number[]
  decisionsPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyMaxMs: number
  requests: number
}

export interface HttpBenchResult {
  template: string
  /** Subjects of the generated workload. */
  subjects: number
  /** Subjects and resources seeded through the API: those the request bodies name. */
  seeded: { subjects: number, resources: number }
  pinned: boolean
  connections: number
  seconds: number
  rounds: number
  seedSeconds: number
  figures: HttpFigure[]
  cerbos: { ran: boolean, version?: string, skipped?: string }
  /** Ratios of requests/s (batches: decisions/s), and of requests per server CPU-second (`perCpu`). */
  ratios: { gatehouseOverBare: number, metricsOverPlain: number, gatehouseOverCerbos: number, batchGatehouseOverCerbos: number, calibrationOverBare: number, inlineOverBare: number, perCpu: { gatehouseOverBare: number, metricsOverPlain: number, inlineOverBare: number, gatehouseOverCerbos: number, batchGatehouseOverCerbos: number } }
  /** One scrape of the metrics variant after its runs: how long it took, its size, and the decisions it counted. */
  metricsScrape: { ms: number, bytes: number, decisions: number }
  /** CPU per request with and without metrics, in one process (`metrics-cost.ts`); `overHttp`: the extra µs ÷ gatehouse's µs of server CPU per request over HTTP. */
  metricsCost: MetricsCostResult & { overHttp: number }
  targets: Array<{ target: string, measured: string, met: boolean }>
}

export interface Expected {
  request: BenchRequest
  decision: Decision
}

export interface Prepared {
  w: Workload
  t: Translation
  singles: Expected[]
  batches: Expected[][]
}

/** The workload, its translation, and the engine's answer to every request the load generator will send. */
export function prepareHttp (opts: Pick<HttpBenchOptions, 'subjects' | 'pool' | 'batches' | 'batchSize'>): Prepared {
  const w = buildWorkload({ subjects: opts.subjects, requests: opts.pool, batches: { count: opts.batches, size: opts.batchSize } })
  const t = translate(w.bundle, w.subjects)
  const expect = (q: BenchRequest): Expected => ({ request: q, decision: decide(w.policy, { subject: q.subject, action: q.action, resource: resourceFacts(q.resource) }) })
  return { w, t, singles: w.requests.map(expect), batches: w.batches.map(b => b.map(expect)) }
}

/** A temp dir, in memory when there is one: seeding writes through PGlite, and fsyncs to a disk only slow the set-up. */
export function workDir (): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gatehouse-bench-'))
}

export interface GatehouseUnderTest {
  base: string
  /** `GATEHOUSE_ROOT_KEY` of the process (to start another build on a copy of its database). */
  rootKey: string
  headers: Record<string, string>
  singleBodies: string[]
  /** The same requests, every one with the resource's properties inline (as AuthZEN PEPs often send them). */
  inlineBodies: string[]
  batchBodies: string[]
  /**
   * One of gatehouse's answers to the evaluation bodies, the one of median length (JSON):
   * what the bare route answers, so that both serialize and send bodies of the same size.
   */
  typicalAnswer: string
  seeded: { subjects: number, resources: number }
  seedSeconds: number
  process: Started
}

/**
 * Starts the service (`src/main.ts` under tsx, embedded PGlite in `work`) pinned to core
 * 0, seeds it through the API with the subjects and resources the request bodies name,
 * and checks every body's answer against the engine. The caller stops `process`.
 */
export async function startGatehouse (work: string, p: Prepared, log: (line: string) => void, nodeArgs: string[] = [], opts: { name?: string, env?: Record<string, string> } = {}): Promise<GatehouseUnderTest> {
  const port = await freePort()
  const rootKey = randomBytes(24).toString('hex')
  const name = opts.name ?? 'gatehouse'
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_DATA_DIR: join(work, name === 'gatehouse' ? 'data' : `data-${name.replaceAll(/\W+/g, '-')}`), GATEHOUSE_ROOT_KEY: rootKey, LOG_LEVEL: 'warn', ...opts.env }
  delete env.DATABASE_URL
  const gatehouse = startPinned(name, 0, process.execPath, [...nodeArgs, builtService()], env)
  try {
    const base = `http://127.0.0.1:${port}`
    await waitReady(gatehouse, `${base}/readyz`)
    const seedStart = performance.now()
    const named = [...p.singles, ...p.batches.flat()].map(e => e.request)
    const subjects = [...new Set(named.map(q => q.subject))]
    const resources = [...new Set(named.map(q => q.resource))]
    const key = await seed(base, rootKey, subjects, resources, log)
    const seedSeconds = (performance.now() - seedStart) / 1000
    log(`seeded ${int(subjects.length)} subjects and ${int(resources.length)} resources (those the request bodies name) through the API in ${sig(seedSeconds)} s`)
    // Every fourth body sends the resource's properties inline instead of naming a stored resource.
    const singleBodies = p.singles.map((e, i) => JSON.stringify(gatehouseBody(e.request, i % 4 === 3)))
    const inlineBodies = p.singles.map(e => JSON.stringify(gatehouseBody(e.request, true)))
    const batchBodies = p.batches.map(b => JSON.stringify(gatehouseBatchBody(b)))
    const headers = { authorization: `Bearer ${key}` }
    await verifyGatehouse(base, headers, p.singles, singleBodies, p.batches, batchBodies)
    const answers = await verifyGatehouse(base, headers, p.singles, inlineBodies, [], [])
    log(`checked gatehouse over HTTP: ${p.singles.length} evaluation bodies and ${p.batches.length} evaluations bodies answer as the engine does`)
    const typicalAnswer = medianLength(answers)
    log(`gatehouse's answers: ${int(mean(answers.map(a => a.length)))} bytes on average; the bare route answers one of the median length, ${typicalAnswer.length} bytes`)
    return { base, rootKey, headers, singleBodies, inlineBodies, batchBodies, typicalAnswer, seeded: { subjects: subjects.length, resources: resources.length }, seedSeconds, process: gatehouse }
  } catch (err) {
    await gatehouse.stop()
    throw err
  }
}

export async function runHttpBench (opts: HttpBenchOptions): Promise<HttpBenchResult> {
  const { log } = opts
  const prepared = prepareHttp(opts)
  const { t, singles, batches } = prepared
  const pinned = hasTaskset()
  if (!pinned) log('taskset does not run here: servers and load generator run unpinned, figures are not comparable to pinned runs')
  const figures: HttpFigure[] = []
  const work = workDir()
  try {
    const gatehouse = await startGatehouse(work, prepared, log)
    const { seeded, seedSeconds, singleBodies, inlineBodies, headers } = gatehouse
    const compared: Compared[] = [{ name: 'gatehouse', what: `evaluation, ${singles.length} bodies (25% with inline properties)`, process: gatehouse.process, base: gatehouse.base, bodies: singleBodies }]
    const perRound: HttpFigure[][] = []
    let metricsScrape = { ms: Number.NaN, bytes: 0, decisions: 0 }
    try {
      // The same service with /metrics on (GATEHOUSE_METRICS_PORT), its own database seeded
      // alike: what counting costs per request, side by side (docs/benchmarks.md, "Metrics").
      const metricsPort = await freePort()
      const withMetrics = await startGatehouse(work, prepared, log, [], { name: 'gatehouse + metrics', env: { GATEHOUSE_METRICS_PORT: String(metricsPort) } })
      compared.push({ name: 'gatehouse + metrics', what: 'the same service and requests, GATEHOUSE_METRICS_PORT set (scraped after the runs)', process: withMetrics.process, base: withMetrics.base, headers: withMetrics.headers, bodies: singleBodies })
      // The bare route, and the same route with a few µs of busy work per request: how much
      // a little CPU per request costs on this machine (docs/benchmarks.md, "The machine").
      // All three run at once, each idle while another is measured.
      for (const busyUs of [0, CALIBRATION_US]) compared.push(await startBare(busyUs, singleBodies, gatehouse.typicalAnswer))
      // The same requests with every resource's properties inline, against the bare route fed those bodies (issue 17.2).
      const bare = compared[2] as Compared
      compared.push(
        { name: 'gatehouse, all inline', what: `evaluation, the same ${singles.length} bodies, 100% with inline properties`, process: gatehouse.process, base: gatehouse.base, bodies: inlineBodies },
        { ...bare, name: 'bare Fastify, all inline', what: 'the bare route, the 100% inline bodies', bodies: inlineBodies }
      )
      // In `compared` order: gatehouse, gatehouse + metrics, bare, bare + busy work, gatehouse all inline, bare all inline.
      for (let r = 0; r < opts.rounds; r++) {
        for (let k = 0; k < compared.length; k++) {
          const i = (k + r) % compared.length
          const c = compared[i] as Compared
          // The very requests gatehouse got, bodies (a quarter, or all, with inline properties) and
          // headers (the key, which the bare routes ignore), so all parse the same bytes.
          const figure = await measure(opts, c.name, c.what, c.process, c.base, '/access/v1/evaluation', c.headers ?? headers, c.bodies, 1, work, line => { log(`round ${r + 1} of ${opts.rounds}: ${line}`) })
          ;(perRound[i] ??= []).push(figure)
        }
      }
      figures.push(...perRound.map(medianRound))
      metricsScrape = await scrapeDecisions(`http://127.0.0.1:${metricsPort}/metrics`)
      log(`gatehouse + metrics: a scrape after the runs took ${sig(metricsScrape.ms)} ms (${int(metricsScrape.bytes)} bytes) and counted ${int(metricsScrape.decisions)} decisions`)
      figures.push(await measure(opts, 'gatehouse evaluations', `evaluations, ${opts.batchSize} checks per request`, gatehouse.process, gatehouse.base, '/access/v1/evaluations', gatehouse.headers, gatehouse.batchBodies, opts.batchSize, work, log))
    } finally {
      for (const p of new Set(compared.map(c => c.process))) await p.stop()
    }

    // Cerbos
    const cerbos = await runCerbos(opts, t, singles, batches, work, figures, log)
    const cost = await runMetricsCost(prepared, { ...opts.metricsCost, log })

    const fig = (name: string): HttpFigure | undefined => figures.find(f => f.target === name)
    const rate = (name: string, perCpu: boolean): number => {
      const f = fig(name)
      return (perCpu ? f?.requestsPerCpuSecond : f?.requestsPerSecond) ?? Number.NaN
    }
    // Against the bare route: medians of the per-round ratios (`perRound` is in `compared` order).
    const [gatehouseRounds, metricsRounds, bareRounds, calibrationRounds, inlineRounds, bareInlineRounds] = perRound as [HttpFigure[], HttpFigure[], HttpFigure[], HttpFigure[], HttpFigure[], HttpFigure[]]
    const ratios = {
      gatehouseOverBare: roundRatio(gatehouseRounds, bareRounds, false),
      metricsOverPlain: roundRatio(metricsRounds, gatehouseRounds, false),
      gatehouseOverCerbos: rate('gatehouse', false) / rate('Cerbos', false),
      batchGatehouseOverCerbos: rate('gatehouse evaluations', false) / rate('Cerbos batch', false),
      calibrationOverBare: roundRatio(calibrationRounds, bareRounds, false),
      inlineOverBare: roundRatio(inlineRounds, bareInlineRounds, false),
      perCpu: {
        gatehouseOverBare: roundRatio(gatehouseRounds, bareRounds, true),
        inlineOverBare: roundRatio(inlineRounds, bareInlineRounds, true),
        metricsOverPlain: roundRatio(metricsRounds, gatehouseRounds, true),
        gatehouseOverCerbos: rate('gatehouse', true) / rate('Cerbos', true),
        batchGatehouseOverCerbos: rate('gatehouse evaluations', true) / rate('Cerbos batch', true)
      }
    }
    const g = fig('gatehouse')
    const httpUsPerRequest = 1e6 / (g?.requestsPerCpuSecond ?? Number.NaN)
    const metricsCost = { ...cost, overHttp: (cost.withUs - cost.withoutUs) / httpUsPerRequest }
    const targets = [
      { target: 'gatehouse ≥ 70% of the bare route', measured: `${sig(ratios.gatehouseOverBare * 100)}% (per CPU-second: ${sig(ratios.perCpu.gatehouseOverBare * 100)}%)`, met: ratios.gatehouseOverBare >= 0.7 },
      {
        target: 'gatehouse ≥ 10× Cerbos',
        measured: cerbos.ran ? `${ratio(ratios.gatehouseOverCerbos)} (per CPU-second: ${ratio(ratios.perCpu.gatehouseOverCerbos)})` : `not measured: ${cerbos.skipped ?? ''}`,
        met: ratios.gatehouseOverCerbos >= 10
      },
      {
        target: 'gatehouse ≥ 20× Cerbos on single checks (issue 17.2)',
        measured: cerbos.ran ? `${ratio(ratios.gatehouseOverCerbos)} (per CPU-second: ${ratio(ratios.perCpu.gatehouseOverCerbos)})` : `not measured: ${cerbos.skipped ?? ''}`,
        met: ratios.gatehouseOverCerbos >= 20
      },
      {
        target: 'gatehouse ≥ 80% of the bare route per CPU-second, whatever the mix (25% and 100% inline)',
        measured: `25% inline: ${sig(ratios.perCpu.gatehouseOverBare * 100)}%; 100% inline: ${sig(ratios.perCpu.inlineOverBare * 100)}% (requests/s: ${sig(ratios.inlineOverBare * 100)}%)`,
        met: ratios.perCpu.gatehouseOverBare >= 0.8 && ratios.perCpu.inlineOverBare >= 0.8
      },
      {
        target: 'metrics cost < 3% of the HTTP rate',
        measured: `${sig(metricsCost.overHttp * 100)}% (${sig(metricsCost.withUs - metricsCost.withoutUs)} µs CPU per request, in process, ÷ ${sig(httpUsPerRequest)} µs per HTTP request); over HTTP side by side: ${sig((1 - ratios.metricsOverPlain) * 100)}% of requests/s, ${sig((1 - ratios.perCpu.metricsOverPlain) * 100)}% per CPU-second`,
        met: metricsCost.overHttp < 0.03
      },
      { target: 'gatehouse p99 < 10 ms', measured: `${sig(g?.latencyP99Ms ?? Number.NaN)} ms`, met: (g?.latencyP99Ms ?? Number.POSITIVE_INFINITY) < 10 }
    ]
    return { template: TEMPLATE, subjects: prepared.w.subjects.length, seeded, pinned, connections: opts.connections, seconds: opts.seconds, rounds: opts.rounds, seedSeconds, figures, cerbos, ratios, metricsScrape, metricsCost, targets }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Scrapes `url` once: its time, its size, and the sum of `gatehouse_decisions_total` (which must have moved). */
async function scrapeDecisions (url: string): Promise<{ ms: number, bytes: number, decisions: number }> {
  const start = performance.now()
  const res = await fetch(url)
  const text = await res.text()
  const ms = performance.now() - start
  if (res.status !== 200) throw new Error(`the metrics scrape answered ${res.status}: ${text.slice(0, 200)}`)
  let decisions = 0
  for (const line of text.split('\n')) if (line.startsWith('gatehouse_decisions_total{')) decisions += Number(line.slice(line.lastIndexOf(' ') + 1))
  if (decisions === 0) throw new Error('the metrics variant counted no decision: it did not measure what it claims')
  return { ms, bytes: Buffer.byteLength(text), decisions }
}

/** A server of the compared routes, running. */
export interface Compared {
  name: string
  what: string
  process: Started
  base: string
  /** The request bodies it is measured with. */
  bodies: string[]
  /** Its own key, where it has one (each gatehouse mints its own); else gatehouse's, which the bare routes ignore. */
  headers?: Record<string, string>
}

/** Starts the bare route (spinning `busyUs` per request when above 0) pinned to core 0, answering `answer` (JSON) to every request. */
export async function startBare (busyUs: number, bodies: string[], answer: string): Promise<Compared> {
  const name = busyUs === 0 ? 'bare Fastify' : `bare Fastify + ${busyUs} µs`
  const port = await freePort()
  const bare = await startServer(name, 0, process.execPath, ['--import', TSX, join(ROOT, 'test/bench/http/bare-server.ts')], { ...process.env, PORT: String(port), BUSY_US: String(busyUs), BARE_ANSWER: answer }, port, '/healthz')
  const what = busyUs === 0 ? `same requests and body schema, one constant answer of gatehouse's median size (${answer.length} bytes)` : `the bare route, spinning ${busyUs} µs per request`
  return { name, what, bodies, ...bare }
}

/** The round with the median requests/s, carrying every round's requests/s. */
function medianRound (rounds: readonly HttpFigure[]): HttpFigure {
  const sorted = [...rounds].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
  const mid = sorted[(sorted.length - 1) >> 1] as HttpFigure
  return { ...mid, roundsRequestsPerSecond: rounds.map(f => f.requestsPerSecond) }
}

/** The median over rounds of `a`'s requests/s (or requests per CPU-second) ÷ `b`'s in the same round. */
function roundRatio (a: readonly HttpFigure[], b: readonly HttpFigure[], perCpu: boolean): number {
  const of = (f: HttpFigure | undefined): number => (perCpu ? f?.requestsPerCpuSecond : f?.requestsPerSecond) ?? Number.NaN
  return median(a.map((f, r) => of(f) / of(b[r])))
}

export async function call (method: string, url: string, headers: Record<string, string>, body?: unknown, contentType = 'application/json'): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 500)}`)
  return text === '' ? undefined : JSON.parse(text)
}

/** Tenant, key, policy, subjects and resources, all through the admin API; returns the tenant key. */
async function seed (base: string, rootKey: string, subjects: readonly Subject[], resources: readonly BenchResource[], log: (line: string) => void): Promise<string> {
  const root = { authorization: `Bearer ${rootKey}` }
  await call('PUT', `${base}/v1/tenants/${TENANT}`, root, { name: 'Benchmark service company' })
  const key = await call('POST', `${base}/v1/tenants/${TENANT}/keys`, root, { scopes: ['check', 'admin'] }) as { secret: string }
  const auth = { authorization: `Bearer ${key.secret}` }
  await call('PUT', `${base}/v1/tenants/${TENANT}/policy`, auth, loadTemplate().text, 'application/yaml')
  const jobs: Array<() => Promise<unknown>> = [
    ...subjects.map(s => async () => {
      const { id, ...body } = s
      return await call('PUT', `${base}/v1/tenants/${TENANT}/subjects/${encodeURIComponent(id)}`, auth, body)
    }),
    ...resources.map(r => async () => await call('PUT', `${base}/v1/tenants/${TENANT}/resources/${r.module}/${encodeURIComponent(r.id)}`, auth, properties(r)))
  ]
  let next = 0
  let done = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      await (jobs[next++] as () => Promise<unknown>)()
      if (++done % 2000 === 0) log(`  seeded ${int(done)} of ${int(jobs.length)}`)
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker))
  return key.secret
}

/** A resource's properties as stored or sent inline: `project` when set, and the relations that have values. */
function properties (r: BenchResource): Record<string, unknown> {
  const props: Record<string, unknown> = {}
  if (r.project !== undefined) props.project = r.project
  for (const [rel, values] of Object.entries(r.relations)) if (values.length > 0) props[rel] = values
  return props
}

function gatehouseBody (q: BenchRequest, inline: boolean): unknown {
  const resource: Record<string, unknown> = { type: q.resource.module, id: q.resource.id }
  if (inline) resource.properties = properties(q.resource)
  return { subject: { type: 'user', id: q.subject.id }, action: { name: q.action }, resource }
}

function gatehouseBatchBody (batch: readonly Expected[]): unknown {
  return {
    subject: { type: 'user', id: batch[0]?.request.subject.id },
    evaluations: batch.map(e => ({ action: { name: e.request.action }, resource: { type: e.request.resource.module, id: e.request.resource.id } }))
  }
}

/** The string of median length (the shorter of the two middle ones for an even count). */
function medianLength (texts: readonly string[]): string {
  return [...texts].sort((a, b) => a.length - b.length)[(texts.length - 1) >> 1] ?? ''
}

function mean (xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

/**
 * Sends every body once and compares each answer with the engine's decision (and fields,
 * and reason); returns the answers to the evaluation bodies, as JSON.
 */
async function verifyGatehouse (base: string, headers: Record<string, string>, singles: readonly Expected[], singleBodies: readonly string[], batches: ReadonlyArray<readonly Expected[]>, batchBodies: readonly string[]): Promise<string[]> {
  const answers: string[] = []
  for (let i = 0; i < singles.length; i++) {
    const e = singles[i] as Expected
    const got = await call('POST', `${base}/access/v1/evaluation`, headers, singleBodies[i]) as { decision: boolean, context: { reason: { code: string }, fields?: unknown } }
    const want = e.decision
    if (got.decision !== want.allowed || got.context.reason.code !== want.reason.code || JSON.stringify(got.context.fields) !== JSON.stringify(want.fields)) {
      throw new Error(`gatehouse over HTTP answers ${JSON.stringify(got)} to ${singleBodies[i]}, the engine ${JSON.stringify(want)}`)
    }
    answers.push(JSON.stringify(got))
  }
  for (let i = 0; i < batches.length; i++) {
    const got = await call('POST', `${base}/access/v1/evaluations`, headers, batchBodies[i]) as { evaluations: Array<{ decision: boolean }> }
    const want = (batches[i] as readonly Expected[]).map(e => e.decision.allowed)
    if (JSON.stringify(got.evaluations.map(x => x.decision)) !== JSON.stringify(want)) throw new Error(`gatehouse evaluations body ${i} answers differently from the engine`)
  }
  return answers
}

export async function measure (opts: Pick<HttpBenchOptions, 'connections' | 'seconds' | 'warmupSeconds'>, target: string, what: string, server: Started, base: string, path: string, headers: Record<string, string>, bodies: string[], perRequest: number, work: string, log: (line: string) => void): Promise<HttpFigure> {
  const job: LoadJob = { url: base, path, headers, bodies, connections: opts.connections, seconds: opts.seconds, warmupSeconds: opts.warmupSeconds }
  const file = join(work, `load-${target.replaceAll(/\W+/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(job))
  let schedStart: SchedTimes | undefined
  let ipisStart: number | undefined
  const startedAt = { t: 0 }
  const r = await runLoad(file, () => {
    schedStart = schedTimes(server.child.pid)
    ipisStart = hasTaskset() ? wakeIpis(GENERATOR_CPU) : undefined
    startedAt.t = performance.now()
  })
  const schedEnd = schedTimes(server.child.pid)
  const ipisEnd = hasTaskset() ? wakeIpis(GENERATOR_CPU) : undefined
  const wall = (performance.now() - startedAt.t) / 1000
  const serverCpu = schedStart === undefined || schedEnd === undefined ? null : (schedEnd.cpu - schedStart.cpu) / wall
  const serverWait = schedStart === undefined || schedEnd === undefined ? null : (schedEnd.wait - schedStart.wait) / wall
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(`${target}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts under load`)
  }
  const figure: HttpFigure = {
    target,
    what,
    serverCpu,
    serverWait,
    generatorCpu: r.generatorCpu,
    generatorWait: r.generatorWait,
    generatorIpisPerRequest: ipisStart === undefined || ipisEnd === undefined || r.requests === 0 ? null : (ipisEnd - ipisStart) / r.requests,
    requestsPerCpuSecond: serverCpu === null || serverCpu === 0 ? null : r.requestsPerSecond / serverCpu,
    requestsPerSecond: r.requestsPerSecond,
    decisionsPerSecond: r.requestsPerSecond * perRequest,
    latencyP50Ms: r.latencyP50Ms,
    latencyP99Ms: r.latencyP99Ms,
    latencyMaxMs: r.latencyMaxMs,
    requests: r.requests
  }
  log(`${target}: ${int(figure.requestsPerSecond)} requests/s, p50 ${sig(figure.latencyP50Ms)} ms, p99 ${sig(figure.latencyP99Ms)} ms, server CPU ${serverCpu === null ? 'n/a' : `${sig(serverCpu * 100)}%`}, waiting for a CPU ${serverWait === null ? 'n/a' : `${sig(serverWait * 100)}%`}; load generator CPU ${r.generatorCpu === null ? 'n/a' : `${sig(r.generatorCpu * 100)}%`}, waiting ${r.generatorWait === null ? 'n/a' : `${sig(r.generatorWait * 100)}%`}, ${figure.generatorIpisPerRequest === null ? 'n/a' : sig(figure.generatorIpisPerRequest)} wake-up IPIs per request`)
  return figure
}

/** Runs the load generator in its own process on core 1; `onStart` runs when its measured run begins. */
async function runLoad (jobFile: string, onStart: () => void): Promise<LoadResult> {
  const args = ['--import', TSX, join(ROOT, 'test/bench/http/load.ts'), jobFile]
  const [cmd, argv] = hasTaskset() ? ['taskset', ['-c', String(GENERATOR_CPU), process.execPath, ...args]] : [process.execPath, args]
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let started = false
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (!started && out.startsWith('start\n')) {
        started = true
        onStart()
      }
    })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.once('exit', code => {
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0 || line === '') reject(new Error(`load generator failed (${code}): ${err}${out}`))
      else resolve(JSON.parse(line) as LoadResult)
    })
  })
}

/** The Cerbos binary shipped by `@cerbos/cerbos-linux-x64`, or why it cannot run here. */
export function cerbosBinary (): { path: string } | { skipped: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { skipped: `@cerbos/cerbos-linux-x64 runs on linux-x64, not ${process.platform}-${process.arch}` }
  try {
    return { path: createRequire(import.meta.url).resolve('@cerbos/cerbos-linux-x64') }
  } catch {
    return { skipped: '@cerbos/cerbos-linux-x64 is not installed (`npm ci` installs it as a devDependency)' }
  }
}

/**
 * A Cerbos server on the policies `writePolicies` puts in the folder it is given, pinned
 * to core 0 and answering; or why it cannot run here. `maxResourcesPerRequest` raises
 * Cerbos's per-request limits for batches. The caller stops the process.
 */
export async function launchCerbos (
  work: string, writePolicies: (folder: string) => void, log: (line: string) => void, maxResourcesPerRequest?: number
): Promise<{ process: Started, base: string, version: string } | { skipped: string }> {
  const bin = cerbosBinary()
  if ('skipped' in bin) {
    log(`Cerbos skipped: ${bin.skipped}`)
    return bin
  }
  const dir = join(work, 'cerbos')
  mkdirSync(join(dir, 'policies'), { recursive: true })
  writePolicies(join(dir, 'policies'))
  const httpPort = await freePort()
  const grpcPort = await freePort()
  writeFileSync(join(dir, 'config.yaml'), [
    'server:',
    `  httpListenAddr: "127.0.0.1:${httpPort}"`,
    `  grpcListenAddr: "127.0.0.1:${grpcPort}"`,
    ...(maxResourcesPerRequest === undefined ? [] : ['  requestLimits:', `    maxResourcesPerRequest: ${maxResourcesPerRequest}`, '    maxActionsPerResource: 50']),
    'storage:',
    '  driver: disk',
    '  disk:',
    `    directory: ${JSON.stringify(join(dir, 'policies'))}`,
    '    watchForChanges: false',
    'audit:',
    '  enabled: false',
    'telemetry:',
    '  disabled: true',
    ''
  ].join('\n'))
  const versionOut = await new Promise<string>(resolve => {
    const child = spawn(bin.path, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.once('error', err => resolve(`error: ${err.message}`))
    child.once('exit', () => resolve(out))
  })
  if (!/^\d+\.\d+/.test(versionOut.trim())) {
    const skipped = `the Cerbos binary does not run here: ${versionOut.trim().slice(0, 200)}`
    log(`Cerbos skipped: ${skipped}`)
    return { skipped }
  }
  const version = versionOut.trim().split('\n')[0] ?? ''
  const cerbos: Started = startPinned('Cerbos', 0, bin.path, ['server', `--config=${join(dir, 'config.yaml')}`, '--log-level=warn'], { ...process.env, OTEL_SDK_DISABLED: 'true' })
  const base = `http://127.0.0.1:${httpPort}`
  try {
    await waitReady(cerbos, `${base}/_cerbos/health`)
  } catch (err) {
    await cerbos.stop()
    throw err
  }
  return { process: cerbos, base, version }
}

async function runCerbos (opts: HttpBenchOptions, t: Translation, singles: readonly Expected[], batches: ReadonlyArray<readonly Expected[]>, work: string, figures: HttpFigure[], log: (line: string) => void): Promise<HttpBenchResult['cerbos']> {
  const launched = await launchCerbos(work, folder => {
    for (const [module, doc] of cerbosPolicies(t.merged, t.ruleSet.modules.keys())) writeFileSync(join(folder, `${module}.yaml`), doc)
  }, log, Math.max(50, opts.batchSize))
  if ('skipped' in launched) return { ran: false, skipped: launched.skipped }
  const { process: cerbos, base, version } = launched
  try {
    const principals = new Map<string, unknown>()
    const principalOf = (id: string): unknown => {
      let p = principals.get(id)
      if (p === undefined) {
        const facts = t.subjects.get(id)?.facts
        if (facts === undefined) throw new Error(`no facts for subject \`${id}\``)
        p = cerbosPrincipal(facts)
        principals.set(id, p)
      }
      return p
    }
    const resourceOf = (r: BenchResource): unknown => cerbosResource(r.module, r.id, r.project, r.relations)
    const actionsOf = (e: Expected): string[] => {
      const fields = t.ruleSet.modules.get(e.request.resource.module)?.fields ?? []
      return e.request.action === 'view' && fields.length > 0 ? ['view', ...fields.flatMap(f => [`read_field:${f}`, `edit_field:${f}`])] : [e.request.action]
    }
    const singleBodies = singles.map(e => JSON.stringify({ principal: principalOf(e.request.subject.id), resources: [{ resource: resourceOf(e.request.resource), actions: actionsOf(e) }] }))
    const batchBodies = batches.map(b => JSON.stringify({
      principal: principalOf(b[0]?.request.subject.id ?? ''),
      resources: b.map(e => ({ resource: resourceOf(e.request.resource), actions: [e.request.action] }))
    }))
    await verifyCerbos(base, singles, singleBodies, batches, batchBodies)
    log(`checked Cerbos ${version}: ${singles.length} check bodies (with every field as an action on a \`view\`) and ${batches.length} batch bodies answer as gatehouse's engine does`)
    figures.push(await measure(opts, 'Cerbos', `CheckResources, one resource (a \`view\` asks every field as an action too), ${singles.length} bodies`, cerbos, base, '/api/check/resources', {}, singleBodies, 1, work, log))
    figures.push(await measure(opts, 'Cerbos batch', `CheckResources, ${opts.batchSize} resources per request`, cerbos, base, '/api/check/resources', {}, batchBodies, opts.batchSize, work, log))
    return { ran: true, version }
  } finally {
    await cerbos.stop()
  }
}

interface CerbosAnswer {
  results: Array<{ resource: { id: string }, actions: Record<string, string> }>
}

async function verifyCerbos (base: string, singles: readonly Expected[], singleBodies: readonly string[], batches: ReadonlyArray<readonly Expected[]>, batchBodies: readonly string[]): Promise<void> {
  for (let i = 0; i < singles.length; i++) {
    const e = singles[i] as Expected
    const got = await call('POST', `${base}/api/check/resources`, {}, singleBodies[i]) as CerbosAnswer
    const actions = got.results[0]?.actions ?? {}
    const allowed = (a: string): boolean => actions[a] === 'EFFECT_ALLOW'
    const want = e.decision
    let ok = allowed(e.request.action) === want.allowed
    // Fields are asked (as actions) with a `view` only; gatehouse also lists them for other allowed actions.
    if (want.fields !== undefined && e.request.action === 'view') {
      const fields = Object.keys(actions).filter(a => a.startsWith('read_field:')).map(a => a.slice('read_field:'.length)).sort()
      ok &&= JSON.stringify(fields.filter(f => allowed(`read_field:${f}`))) === JSON.stringify(want.fields.visible)
      ok &&= JSON.stringify(fields.filter(f => allowed(`edit_field:${f}`))) === JSON.stringify(want.fields.editable)
    } else if (!want.allowed) {
      ok &&= Object.keys(actions).every(a => !allowed(a))
    }
    if (!ok) throw new Error(`Cerbos answers ${JSON.stringify(actions)} to ${singleBodies[i]}; gatehouse's engine: ${JSON.stringify(want)}`)
  }
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i] as readonly Expected[]
    const got = await call('POST', `${base}/api/check/resources`, {}, batchBodies[i]) as CerbosAnswer
    batch.forEach((e, j) => {
      const r = got.results[j]
      if (r?.resource.id !== e.request.resource.id || (r.actions[e.request.action] === 'EFFECT_ALLOW') !== e.decision.allowed) {
        throw new Error(`Cerbos batch body ${i} item ${j} answers ${JSON.stringify(r)}; gatehouse's engine: ${JSON.stringify(e.decision)}`)
      }
    })
  }
}

/** The HTTP part of the report, as text. */
export function formatHttpReport (r: HttpBenchResult): string {
  const pct = (x: number | null): string => x === null ? 'n/a' : `${sig(x * 100)}%`
  const rows = r.figures.map(f => [
    f.target, int(f.requestsPerSecond), int(f.decisionsPerSecond), sig(f.latencyP50Ms), sig(f.latencyP99Ms), sig(f.latencyMaxMs),
    pct(f.serverCpu), pct(f.serverWait), `${pct(f.generatorCpu)} / ${pct(f.generatorWait)}`, f.generatorIpisPerRequest === null ? 'n/a' : sig(f.generatorIpisPerRequest), f.requestsPerCpuSecond === null ? 'n/a' : int(f.requestsPerCpuSecond), f.what
  ])
  const cerbos = (x: number): string => r.cerbos.ran ? ratio(x) : 'n/a'
  return [
    `HTTP: template \`${r.template}\`, ${int(r.seeded.subjects)} subjects and ${int(r.seeded.resources)} resources seeded through the API (${sig(r.seedSeconds)} s); ` +
      `${r.connections} connections, ${r.seconds} s per run, ${r.rounds} ${r.rounds === 1 ? 'round' : 'rounds'} of the compared routes; ${r.pinned ? 'server on core 0, load generator on core 1 (taskset)' : 'UNPINNED (no taskset)'}` +
      (r.cerbos.ran ? `; Cerbos ${r.cerbos.version ?? ''}` : `; Cerbos skipped: ${r.cerbos.skipped ?? ''}`),
    '',
    table(['target', 'requests/s', 'decisions/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU', 'CPU wait', 'generator CPU / wait', 'IPIs/request', 'requests/CPU-s', 'what'], rows),
    '',
    `rounds:          ${r.figures.filter(f => f.roundsRequestsPerSecond !== undefined).map(f => `${f.target} ${(f.roundsRequestsPerSecond ?? []).map(int).join(' / ')}`).join('; ')} requests/s (the table shows each route's median round; ratios to the bare route are medians of per-round ratios)`,
    `metrics:         gatehouse + metrics ÷ gatehouse ${pct(r.ratios.metricsOverPlain)} of requests/s, ${pct(r.ratios.perCpu.metricsOverPlain)} per CPU-second (medians of per-round ratios); a scrape took ${sig(r.metricsScrape.ms)} ms, ${int(r.metricsScrape.bytes)} bytes`,
    `metrics cost:    in one process, ${sig(r.metricsCost.withoutUs)} µs CPU per request without, ${sig(r.metricsCost.withUs)} µs with (median of per-round ratios ${pct(r.metricsCost.extra)}, all requests pooled ${pct(r.metricsCost.pooledExtra)}; ${r.metricsCost.rounds} rounds of ${int(r.metricsCost.requestsPerRound)} requests through inject, alternating turns): ${pct(r.metricsCost.overHttp)} of a request's server CPU over HTTP`,
    `requests/s:      gatehouse ÷ bare Fastify ${pct(r.ratios.gatehouseOverBare)}, gatehouse ÷ Cerbos ${cerbos(r.ratios.gatehouseOverCerbos)}, evaluations ÷ Cerbos batch (decisions/s) ${cerbos(r.ratios.batchGatehouseOverCerbos)}`,
    `all inline:      gatehouse, 100% inline ÷ bare Fastify on those bodies ${pct(r.ratios.inlineOverBare)} of requests/s, ${pct(r.ratios.perCpu.inlineOverBare)} per CPU-second`,
    `calibration:     bare Fastify + ${CALIBRATION_US} µs of work per request ÷ bare Fastify ${pct(r.ratios.calibrationOverBare)} (what a few µs per request cost on this machine)`,
    `per CPU-second:  gatehouse ÷ bare Fastify ${pct(r.ratios.perCpu.gatehouseOverBare)}, gatehouse ÷ Cerbos ${cerbos(r.ratios.perCpu.gatehouseOverCerbos)}, evaluations ÷ Cerbos batch ${cerbos(r.ratios.perCpu.batchGatehouseOverCerbos)}`,
    '',
    table(['target', 'measured', 'met'], r.targets.map(t => [t.target, t.measured, t.met ? 'yes' : 'NO']))
  ].join('\n')
}
