/**
 * Conditions benchmark (issue 14): a decision whose action carries a condition on a
 * resource attribute (`edit` on `invoices` needs `resource.status != 'locked'`), side by
 * side with the same decision without the condition, and with the same rule in Cedar
 * (in-process, wasm) and in Cerbos (CEL, its own server). Every engine's answers are
 * checked equal to gatehouse's on the whole request set before anything is timed.
 *
 * Two levels, each compared with its like:
 * - engine: `decide` with and without the condition, and Cedar's `statefulIsAuthorized`,
 *   single-threaded in this process, in rotated rounds (ratios are medians of per-round ratios);
 * - HTTP: the service (built, embedded PGlite, seeded through its API; one tenant with the
 *   condition, one without) and a Cerbos server, each alone on core 0 with the load
 *   generator on core 1, as the HTTP benchmark runs them.
 */
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import type { StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs'
import { stringify } from 'yaml'
import { compileBundle, compileSubject, decide } from '../../src/engine/index.js'
import type { Bundle, CompiledPolicy, CompiledSubject, DecisionRequest, ResourceFacts, Subject } from '../../src/engine/index.js'
import type { HttpFigure } from './http-bench.js'
import { call, launchCerbos, measure, workDir } from './http-bench.js'
import type { Started } from './http/processes.js'
import { builtService, freePort, hasTaskset, startPinned, waitReady } from './http/processes.js'
import { int, median, ratio, sig, table } from './lib/stats.js'
import { Random } from './lib/random.js'

const STATUSES = ['draft', 'sent', 'paid', 'locked'] as const
const CONDITION = "resource.status != 'locked'"

/** The rule, without its condition: clerks edit the invoices they are responsible for, managers every invoice. */
function bundle (conditioned: boolean): Bundle {
  return {
    version: 1,
    modules: {
      invoices: {
        relations: ['responsible'],
        attributes: { status: { enum: [...STATUSES] }, amount: 'number' },
        actions: {
          view: { level: 'limited' },
          edit: conditioned ? { level: 'management', when: CONDITION } : { level: 'management' }
        }
      }
    },
    roles: {
      clerk: { modules: { invoices: { access: 'assigned', level: 'management' } } },
      manager: { modules: { invoices: { access: 'all', level: 'management' } } }
    }
  } as unknown as Bundle
}

const CEDAR_POLICIES = (conditioned: boolean): string => {
  const unless = conditioned ? ' && resource.status != "locked"' : ''
  return [
    `permit (principal, action == Action::"edit", resource is invoices) when { principal.roles.contains("manager")${unless} };`,
    `permit (principal, action == Action::"edit", resource is invoices) when { principal.roles.contains("clerk") && resource.responsible.contains(principal.name)${unless} };`
  ].join('\n')
}

const CERBOS_POLICY = stringify({
  apiVersion: 'api.cerbos.dev/v1',
  resourcePolicy: {
    version: 'default',
    resource: 'invoices',
    rules: [
      { actions: ['edit'], effect: 'EFFECT_ALLOW', roles: ['manager'], condition: { match: { expr: 'R.attr.status != "locked"' } } },
      { actions: ['edit'], effect: 'EFFECT_ALLOW', roles: ['clerk'], condition: { match: { all: { of: [{ expr: 'P.id in R.attr.responsible' }, { expr: 'R.attr.status != "locked"' }] } } } }
    ]
  }
}, { lineWidth: 0 })

interface Invoice { id: string, status: typeof STATUSES[number], amount: number, responsible: string[] }
interface Request { subject: Subject, invoice: Invoice }

export interface ConditionsBenchOptions {
  subjects: number
  resources: number
  requests: number
  rounds: number
  minRoundMs: number
  cedarRequests: number
  /** HTTP part: measured seconds per target, warm-up, connections; `undefined`: engine only. */
  http: { seconds: number, warmupSeconds: number, connections: number, pool: number, rounds: number } | undefined
  log: (line: string) => void
}

export interface ConditionsFigure { engine: string, description: string, nsPerDecision: number, decisionsPerSecond: number, roundsNs: number[] }

export interface ConditionsBenchResult {
  subjects: number
  resources: number
  requests: number
  allowed: number
  deniedByCondition: number
  engines: ConditionsFigure[]
  ratios: { conditionedOverPlain: number, holdingOverPlain: number, conditionedOverCedar: number }
  http: {
    figures: HttpFigure[]
    cerbos: { ran: boolean, version?: string, skipped?: string }
    conditionedOverCerbos: number
    conditionedOverPlain: number
    /** The same ratios in requests per second of server CPU: steadier when the server waits for a core. */
    perCpu: { conditionedOverCerbos: number, conditionedOverPlain: number }
  } | undefined
  targets: Array<{ target: string, measured: string, met: boolean }>
}

interface Engine { name: string, description: string, run: (out: Uint8Array, count: number) => number }

function compiled (b: Bundle): CompiledPolicy {
  const c = compileBundle(b)
  if (!c.ok) throw new Error(`the benchmark bundle is invalid: ${JSON.stringify(c.issues)}`)
  return c.policy
}

function facts (i: Invoice): ResourceFacts {
  return { module: 'invoices', id: i.id, relations: { responsible: i.responsible }, attributes: { status: i.status, amount: i.amount } } as ResourceFacts
}

function gatehouseEngine (name: string, policy: CompiledPolicy, requests: readonly Request[], description: string): Engine {
  const subjects = new Map<Subject, CompiledSubject>()
  const prepared: DecisionRequest[] = requests.map(q => {
    let s = subjects.get(q.subject)
    if (s === undefined) subjects.set(q.subject, s = compileSubject(policy, q.subject))
    return { subject: s, action: 'edit', resource: facts(q.invoice), ancestors: [] }
  })
  return {
    name,
    description,
    run (out, count) {
      let yes = 0
      for (let i = 0; i < count; i++) {
        const a = decide(policy, prepared[i] as DecisionRequest).allowed
        out[i] = a ? 1 : 0
        if (a) yes++
      }
      return yes
    }
  }
}

function cedarEngine (requests: readonly Request[]): Engine {
  const id = 'gatehouse-bench/conditions'
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: CEDAR_POLICIES(true) })
  if (parsed.type !== 'success') throw new Error(`cedar rejects the policies: ${parsed.errors.map(e => e.message).join('; ')}`)
  const principals = new Map<Subject, unknown>()
  const calls: StatefulAuthorizationCall[] = requests.map(q => {
    let p = principals.get(q.subject)
    if (p === undefined) principals.set(q.subject, p = { uid: { type: 'User', id: q.subject.id }, attrs: { name: q.subject.id, roles: q.subject.roles }, parents: [] })
    // Without `amount`: Cedar has no floating-point numbers, and the rule does not read it.
    const resource = { uid: { type: 'invoices', id: q.invoice.id }, attrs: { status: q.invoice.status, responsible: q.invoice.responsible }, parents: [] }
    return {
      principal: { type: 'User', id: q.subject.id },
      action: { type: 'Action', id: 'edit' },
      resource: resource.uid,
      context: {},
      preparsedPolicySetId: id,
      entities: [p, resource] as StatefulAuthorizationCall['entities']
    }
  })
  return {
    name: 'Cedar (wasm)',
    description: `@cedar-policy/cedar-wasm ${cedar.getCedarVersion()}: \`statefulIsAuthorized\` on a preparsed set of 2 policies, \`resource.status != "locked"\` in their \`when\``,
    run (out, count) {
      let yes = 0
      for (let i = 0; i < count; i++) {
        const answer = cedar.statefulIsAuthorized(calls[i] as StatefulAuthorizationCall)
        if (answer.type !== 'success') throw new Error(`cedar failed on request ${i}: ${answer.errors.map(e => e.message).join('; ')}`)
        if (answer.response.diagnostics.errors.length > 0) throw new Error(`cedar policy errors on request ${i}`)
        const a = answer.response.decision === 'allow'
        out[i] = a ? 1 : 0
        if (a) yes++
      }
      return yes
    }
  }
}

function workload (opts: ConditionsBenchOptions): { subjects: Subject[], invoices: Invoice[], requests: Request[] } {
  const rnd = new Random(14)
  const subjects: Subject[] = Array.from({ length: opts.subjects }, (_, i) => ({ id: `u${i}`, roles: [rnd.next() < 0.25 ? 'manager' : 'clerk'] }))
  const invoices: Invoice[] = Array.from({ length: opts.resources }, (_, i) => ({
    id: `inv-${i}`,
    status: STATUSES[Math.floor(rnd.next() * STATUSES.length)] as Invoice['status'],
    amount: Math.round(rnd.next() * 1_000_000) / 100,
    responsible: [(subjects[Math.floor(rnd.next() * subjects.length)] as Subject).id]
  }))
  const byId = new Map(subjects.map(s => [s.id, s]))
  const requests: Request[] = Array.from({ length: opts.requests }, () => {
    const invoice = invoices[Math.floor(rnd.next() * invoices.length)] as Invoice
    // Half the requests are on the subject's own invoices, so that the condition decides often.
    const subject = rnd.next() < 0.5 ? byId.get(invoice.responsible[0] as string) as Subject : subjects[Math.floor(rnd.next() * subjects.length)] as Subject
    return { subject, invoice }
  })
  return { subjects, invoices, requests }
}

export async function runConditionsBench (opts: ConditionsBenchOptions): Promise<ConditionsBenchResult> {
  const { log } = opts
  const w = workload(opts)
  const n = w.requests.length
  const conditionedPolicy = compiled(bundle(true))
  const plainPolicy = compiled(bundle(false))
  const conditioned = gatehouseEngine('gatehouse, condition', conditionedPolicy, w.requests, `\`decide\`, \`edit\` with \`when: "${CONDITION}"\` (compiled subjects)`)
  const plain = gatehouseEngine('gatehouse, no condition', plainPolicy, w.requests, '`decide`, the same bundle without the condition')
  // The same two on the requests whose invoice is not locked: the condition is evaluated
  // and holds, so every decision goes on to the grants (on a locked invoice, the failed
  // condition ends the decision early, which makes the conditioned set cheaper as a whole).
  const holding = w.requests.filter(q => q.invoice.status !== 'locked')
  const conditionedHolding = gatehouseEngine('gatehouse, condition holds', conditionedPolicy, holding, 'the same, on the requests whose invoice is not locked')
  const plainHolding = gatehouseEngine('gatehouse, no condition, same requests', plainPolicy, holding, 'the bundle without the condition, on those requests')
  const cedarE = cedarEngine(w.requests)
  const engines = [conditioned, plain, conditionedHolding, plainHolding, cedarE]
  const counts = new Map<Engine, number>([[conditionedHolding, holding.length], [plainHolding, holding.length]])

  const reference = new Uint8Array(n)
  const allowed = conditioned.run(reference, n)
  const out = new Uint8Array(n)
  cedarE.run(out, n)
  const mismatch = out.findIndex((v, i) => v !== reference[i])
  if (mismatch >= 0) throw new Error(`Cedar disagrees with gatehouse on request ${mismatch}: ${JSON.stringify(w.requests[mismatch])}`)
  const plainAllowed = plain.run(out, n)
  const deniedByCondition = plainAllowed - allowed
  log(`conditions workload: ${int(w.subjects.length)} subjects, ${int(w.invoices.length)} invoices, ${int(n)} \`edit\` requests: ${int(allowed)} allowed, ${int(deniedByCondition)} denied by the condition alone; Cedar agrees on all`)

  const plan = new Map<Engine, { count: number, passes: number }>()
  const scratch = new Uint8Array(n)
  for (const e of engines) {
    const count = e === cedarE ? Math.min(n, opts.cedarRequests) : counts.get(e) ?? n
    let passes = 0
    const start = performance.now()
    while (performance.now() - start < (e === cedarE ? 0 : opts.minRoundMs) || passes === 0) {
      e.run(scratch, count)
      passes++
    }
    plan.set(e, { count, passes: Math.max(1, Math.ceil(opts.minRoundMs / ((performance.now() - start) / passes))) })
  }
  const rounds = new Map<Engine, number[]>(engines.map(e => [e, []]))
  for (let r = 0; r < opts.rounds; r++) {
    for (let k = 0; k < engines.length; k++) {
      const e = engines[(r + k) % engines.length] as Engine
      const { count, passes } = plan.get(e) as { count: number, passes: number }
      let yes = 0
      const start = process.hrtime.bigint()
      for (let p = 0; p < passes; p++) yes += e.run(scratch, count)
      const ns = Number(process.hrtime.bigint() - start)
      if (yes < 0) throw new Error('unreachable')
      rounds.get(e)?.push(ns / (passes * count))
    }
  }
  const figures: ConditionsFigure[] = engines.map(e => {
    const ns = median(rounds.get(e) ?? [])
    return { engine: e.name, description: e.description, nsPerDecision: ns, decisionsPerSecond: 1e9 / ns, roundsNs: rounds.get(e) ?? [] }
  })
  const paired = (a: Engine, b: Engine): number => median((rounds.get(a) ?? []).map((ns, i) => ns / ((rounds.get(b) ?? [])[i] ?? Number.NaN)))
  // Time of the conditioned decision over the plain one (≤ 2 is the target); speed of the conditioned one over Cedar's.
  const ratios = { conditionedOverPlain: paired(conditioned, plain), holdingOverPlain: paired(conditionedHolding, plainHolding), conditionedOverCedar: paired(cedarE, conditioned) }
  log(`engine: ${figures.map(f => `${f.engine} ${sig(f.nsPerDecision)} ns`).join(', ')}`)

  const http = opts.http === undefined ? undefined : await runHttp(opts, w, conditionedPolicy)
  const targets = [
    { target: 'engine: condition within 2× of no condition', measured: `${ratio(ratios.conditionedOverPlain)} the time`, met: ratios.conditionedOverPlain <= 2 },
    { target: 'engine: a holding condition within 2× of no condition', measured: `${ratio(ratios.holdingOverPlain)} the time`, met: ratios.holdingOverPlain <= 2 },
    { target: 'engine: ahead of Cedar', measured: `${ratio(ratios.conditionedOverCedar)} Cedar's speed`, met: ratios.conditionedOverCedar > 1 }
  ]
  if (http !== undefined) {
    targets.push({ target: 'HTTP: condition within 2× of no condition', measured: `${ratio(http.conditionedOverPlain)} the throughput (per CPU-second: ${ratio(http.perCpu.conditionedOverPlain)})`, met: http.conditionedOverPlain >= 0.5 })
    targets.push({
      target: 'HTTP: ahead of Cerbos',
      measured: http.cerbos.ran ? `${ratio(http.conditionedOverCerbos)} Cerbos's requests/s (per CPU-second: ${ratio(http.perCpu.conditionedOverCerbos)})` : `not measured: ${http.cerbos.skipped ?? ''}`,
      met: http.conditionedOverCerbos > 1
    })
  }
  return { subjects: w.subjects.length, resources: w.invoices.length, requests: n, allowed, deniedByCondition, engines: figures, ratios, http, targets }
}

/** A server under HTTP load: where to send which bodies. */
interface HttpTarget { name: string, what: string, process: Started, base: string, path: string, headers: Record<string, string>, bodies: string[] }

async function runHttp (opts: ConditionsBenchOptions, w: ReturnType<typeof workload>, policy: CompiledPolicy): Promise<NonNullable<ConditionsBenchResult['http']>> {
  const { log } = opts
  const httpOpts = opts.http as NonNullable<ConditionsBenchOptions['http']>
  if (!hasTaskset()) log('taskset does not run here: servers and load generator run unpinned')
  const pool = w.requests.slice(0, httpOpts.pool)
  const plainPolicy = compiled(bundle(false))
  const expected = {
    cond: pool.map(q => decide(policy, { subject: q.subject, action: 'edit', resource: facts(q.invoice) }).allowed),
    plain: pool.map(q => decide(plainPolicy, { subject: q.subject, action: 'edit', resource: facts(q.invoice) }).allowed)
  }
  const work = workDir()
  const started: Started[] = []
  try {
    const port = await freePort()
    const rootKey = randomBytes(24).toString('hex')
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_DATA_DIR: join(work, 'data'), GATEHOUSE_ROOT_KEY: rootKey, LOG_LEVEL: 'warn' }
    delete env.DATABASE_URL
    const gatehouse = startPinned('gatehouse', 0, process.execPath, [builtService()], env)
    started.push(gatehouse)
    const base = `http://127.0.0.1:${port}`
    await waitReady(gatehouse, `${base}/readyz`)
    const named = { subjects: [...new Set(pool.map(q => q.subject))], invoices: [...new Set(pool.map(q => q.invoice))] }
    // A quarter of the bodies send the invoice inline, as the HTTP benchmark does.
    const bodies = pool.map((q, i) => JSON.stringify({
      subject: { type: 'user', id: q.subject.id },
      action: { name: 'edit' },
      resource: i % 4 === 3
        ? { type: 'invoices', id: q.invoice.id, properties: { responsible: q.invoice.responsible, status: q.invoice.status, amount: q.invoice.amount } }
        : { type: 'invoices', id: q.invoice.id }
    }))
    const targets: HttpTarget[] = []
    for (const tenant of ['cond', 'plain'] as const) {
      const key = await seedTenant(base, rootKey, tenant, bundle(tenant === 'cond'), named.subjects, named.invoices)
      const headers = { authorization: `Bearer ${key}` }
      for (let i = 0; i < bodies.length; i++) {
        const got = await call('POST', `${base}/access/v1/evaluation`, headers, bodies[i]) as { decision: boolean }
        if (got.decision !== expected[tenant][i]) throw new Error(`gatehouse (${tenant}) over HTTP answers ${String(got.decision)} to ${bodies[i]}`)
      }
      targets.push({ name: tenant === 'cond' ? 'gatehouse, condition' : 'gatehouse, no condition', what: `evaluation, ${bodies.length} bodies (25% inline)`, process: gatehouse, base, path: '/access/v1/evaluation', headers, bodies })
    }
    log(`seeded two tenants (with and without the condition) with ${int(named.subjects.length)} subjects and ${int(named.invoices.length)} invoices; every body answers as the engine does`)
    const cerbos = await startCerbos(pool, expected.cond, work, log)
    if ('target' in cerbos) {
      started.push(cerbos.target.process)
      targets.push(cerbos.target)
    }
    // Rounds in rotated order, each server idle while another is measured; figures are the
    // median round's, so that a burst of other work on the machine moves one round only.
    const rounds = new Map<HttpTarget, HttpFigure[]>(targets.map(x => [x, []]))
    const roundCount = httpOpts.rounds
    for (let r = 0; r < roundCount; r++) {
      for (let k = 0; k < targets.length; k++) {
        const x = targets[(r + k) % targets.length] as HttpTarget
        rounds.get(x)?.push(await measure(httpOpts, x.name, x.what, x.process, x.base, x.path, x.headers, x.bodies, 1, work, line => { log(`round ${r + 1} of ${roundCount}: ${line}`) }))
      }
    }
    const figures = targets.map(x => {
      const all = [...(rounds.get(x) ?? [])].sort((p, q) => p.requestsPerSecond - q.requestsPerSecond)
      return all[all.length >> 1] as HttpFigure
    })
    const rate = (f: HttpFigure | undefined, perCpu: boolean): number => (perCpu ? f?.requestsPerCpuSecond : f?.requestsPerSecond) ?? Number.NaN
    const perRound = (a: HttpTarget | undefined, b: HttpTarget | undefined, perCpu = false): number =>
      a === undefined || b === undefined ? Number.NaN : median((rounds.get(a) ?? []).map((f, i) => rate(f, perCpu) / rate((rounds.get(b) ?? [])[i], perCpu)))
    return {
      figures,
      cerbos: 'target' in cerbos ? { ran: true, version: cerbos.version } : cerbos,
      conditionedOverCerbos: perRound(targets[0], targets[2]),
      conditionedOverPlain: perRound(targets[0], targets[1]),
      perCpu: { conditionedOverCerbos: perRound(targets[0], targets[2], true), conditionedOverPlain: perRound(targets[0], targets[1], true) }
    }
  } finally {
    for (const p of started) await p.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

async function seedTenant (base: string, rootKey: string, tenant: string, b: Bundle, subjects: readonly Subject[], invoices: readonly Invoice[]): Promise<string> {
  const root = { authorization: `Bearer ${rootKey}` }
  await call('PUT', `${base}/v1/tenants/${tenant}`, root, { name: tenant })
  const key = await call('POST', `${base}/v1/tenants/${tenant}/keys`, root, { scopes: ['check', 'admin'] }) as { secret: string }
  const auth = { authorization: `Bearer ${key.secret}` }
  await call('PUT', `${base}/v1/tenants/${tenant}/policy`, auth, b)
  const jobs = [
    ...subjects.map(s => async () => await call('PUT', `${base}/v1/tenants/${tenant}/subjects/${s.id}`, auth, { roles: s.roles })),
    ...invoices.map(i => async () => await call('PUT', `${base}/v1/tenants/${tenant}/resources/invoices/${i.id}`, auth, { responsible: i.responsible, status: i.status, amount: i.amount }))
  ]
  let next = 0
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < jobs.length) await (jobs[next++] as () => Promise<unknown>)()
  }))
  return key.secret
}

/** The Cerbos server with the same rule, checked against gatehouse's answers, ready to be measured; or why it cannot run here. */
async function startCerbos (pool: readonly Request[], expected: readonly boolean[], work: string, log: (line: string) => void): Promise<{ target: HttpTarget, version: string } | { ran: false, skipped: string }> {
  const launched = await launchCerbos(work, folder => { writeFileSync(join(folder, 'invoices.yaml'), CERBOS_POLICY) }, log)
  if ('skipped' in launched) return { ran: false, skipped: launched.skipped }
  const { process: cerbos, base, version } = launched
  try {
    const bodies = pool.map(q => JSON.stringify({
      principal: { id: q.subject.id, roles: q.subject.roles },
      resources: [{ resource: { kind: 'invoices', id: q.invoice.id, attr: { status: q.invoice.status, amount: q.invoice.amount, responsible: q.invoice.responsible } }, actions: ['edit'] }]
    }))
    for (let i = 0; i < bodies.length; i++) {
      const got = await call('POST', `${base}/api/check/resources`, {}, bodies[i]) as { results: Array<{ actions: Record<string, string> }> }
      const allowed = got.results[0]?.actions.edit === 'EFFECT_ALLOW'
      if (allowed !== expected[i]) throw new Error(`Cerbos answers ${JSON.stringify(got)} to ${bodies[i]}; gatehouse: ${String(expected[i])}`)
    }
    log(`checked Cerbos ${version}: ${bodies.length} bodies answer as gatehouse does`)
    return {
      version,
      target: { name: 'Cerbos', what: `CheckResources, one resource, \`R.attr.status != "locked"\` in the rules' conditions, ${bodies.length} bodies`, process: cerbos, base, path: '/api/check/resources', headers: {}, bodies }
    }
  } catch (err) {
    await cerbos.stop()
    throw err
  }
}

/** The conditions part of the report, as text. */
export function formatConditionsReport (r: ConditionsBenchResult): string {
  const lines = [
    `Conditions: ${int(r.subjects)} subjects, ${int(r.resources)} invoices, ${int(r.requests)} \`edit\` requests (${int(r.allowed)} allowed, ${int(r.deniedByCondition)} denied by the condition alone)`,
    '',
    table(['engine', 'ns/decision', 'decisions/s'], r.engines.map(e => [e.engine, sig(e.nsPerDecision), int(e.decisionsPerSecond)])),
    '',
    `time with the condition ÷ without: ${ratio(r.ratios.conditionedOverPlain)} (where it holds: ${ratio(r.ratios.holdingOverPlain)}); speed with the condition ÷ Cedar: ${ratio(r.ratios.conditionedOverCedar)} (medians of per-round ratios)`
  ]
  if (r.http !== undefined) {
    lines.push('', table(['HTTP target', 'requests/s', 'per CPU-second', 'p50 ms', 'p99 ms', 'server CPU'], r.http.figures.map(f => [
      f.target, int(f.requestsPerSecond), f.requestsPerCpuSecond === null ? 'n/a' : int(f.requestsPerCpuSecond), sig(f.latencyP50Ms), sig(f.latencyP99Ms), f.serverCpu === null ? 'n/a' : `${sig(f.serverCpu * 100)}%`
    ])))
  }
  lines.push('', table(['target', 'measured', 'met'], r.targets.map(t => [t.target, t.measured, t.met ? 'yes' : 'NO'])))
  return lines.join('\n')
}
