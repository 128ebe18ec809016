/**
 * Engine benchmark: decisions per second, single-threaded, on the `service-company`
 * template, for gatehouse and the same rules in CASL, Cedar and plain JS, side by side in
 * one process. Every engine's answers are checked equal to gatehouse's on the whole
 * request set before anything is timed.
 */
import { decide } from '../../src/engine/index.js'
import { caslEngine } from './engines/casl.js'
import { cedarEngine } from './engines/cedar.js'
import type { EngineUnderTest } from './engines/engine.js'
import { gatehouseEngine, resourceFacts } from './engines/gatehouse.js'
import { plainEngine } from './engines/plain.js'
import { int, median, ratio, sig, table } from './lib/stats.js'
import type { BenchRequest, Workload } from './lib/workload.js'
import { buildWorkload, TEMPLATE } from './lib/workload.js'
import { translate } from './translate/translation.js'

export interface EngineBenchOptions {
  subjects: number
  requests: number
  /** Timed rounds per engine; the median is reported, and ratios are medians of per-round ratios. */
  rounds: number
  /** Each round of a fast engine repeats the request set until it lasts at least this long. */
  minRoundMs: number
  /** Requests per Cedar round (Cedar is too slow to run the whole set in every round). */
  cedarRequests: number
  log: (line: string) => void
}

export interface EngineFigure {
  engine: string
  description: string
  nsPerDecision: number
  decisionsPerSecond: number
  /** Every round's ns per decision, in round order. */
  roundsNs: number[]
  decisionsPerRound: number
  setupMs: number
}

export interface EngineBenchResult {
  template: string
  subjects: number
  requests: number
  mix: Record<string, number>
  reasons: Record<string, number>
  translatedRules: number
  cedarPolicies: number
  profiles: number
  engines: EngineFigure[]
  ratios: { gatehouseOverCasl: number, gatehouseOverCedar: number, gatehouseOverPlain: number }
  targets: Array<{ target: string, measured: string, met: boolean }>
}

export async function runEngineBench (opts: EngineBenchOptions): Promise<EngineBenchResult> {
  const { log } = opts
  let t0 = performance.now()
  const w = buildWorkload({ subjects: opts.subjects, requests: opts.requests })
  log(`workload: ${int(w.subjects.length)} subjects, ${int(w.resources.length)} resources, ${int(w.requests.length)} requests (${int(performance.now() - t0)} ms)`)
  t0 = performance.now()
  const t = translate(w.bundle, w.subjects)
  log(`translation: ${t.ruleSet.rules.length} rules (${t.merged.length} merged), ${t.profiles} distinct folded profiles (${int(t.ms)} ms)`)

  const gatehouse = gatehouseEngine(w)
  const plain = plainEngine(w, t)
  const casl = caslEngine(w, t)
  const cedar = cedarEngine(w, t)
  const engines: EngineUnderTest[] = [gatehouse, casl, cedar, plain]
  for (const e of engines) log(`setup ${e.name}: ${int(e.setupMs)} ms`)

  // Equality on the whole request set, before any timing.
  const n = w.requests.length
  const reference = new Uint8Array(n)
  gatehouse.run(reference, n)
  for (const e of engines.slice(1)) {
    const out = new Uint8Array(n)
    t0 = performance.now()
    e.run(out, n)
    const mismatches: number[] = []
    for (let i = 0; i < n; i++) if (out[i] !== reference[i]) mismatches.push(i)
    if (mismatches.length > 0) {
      const shown = mismatches.slice(0, 5).map(i => describeMismatch(w, w.requests[i] as BenchRequest, reference[i] === 1, e.name)).join('\n')
      throw new Error(`${e.name} disagrees with gatehouse on ${mismatches.length} of ${n} requests, for example:\n${shown}`)
    }
    log(`check ${e.name}: all ${int(n)} answers equal to gatehouse's (${int(performance.now() - t0)} ms)`)
  }

  const { mix, reasons } = describeMix(w, reference)

  // Warm-up, and the passes per round of each engine.
  const plan = new Map<EngineUnderTest, { count: number, passes: number }>()
  const scratch = new Uint8Array(n)
  for (const e of engines) {
    const count = e === cedar ? Math.min(n, opts.cedarRequests) : n
    let passes = 0
    const start = performance.now()
    while (performance.now() - start < (e === cedar ? 0 : opts.minRoundMs) || passes === 0) {
      e.run(scratch, count)
      passes++
    }
    const passMs = (performance.now() - start) / passes
    plan.set(e, { count, passes: Math.max(1, Math.ceil(opts.minRoundMs / passMs)) })
  }

  const rounds = new Map<EngineUnderTest, number[]>(engines.map(e => [e, []]))
  for (let r = 0; r < opts.rounds; r++) {
    // Rotate the order so that no engine always runs first (or right after Cedar's allocations).
    for (let k = 0; k < engines.length; k++) {
      const e = engines[(r + k) % engines.length] as EngineUnderTest
      const { count, passes } = plan.get(e) as { count: number, passes: number }
      let allowed = 0
      const start = process.hrtime.bigint()
      for (let p = 0; p < passes; p++) allowed += e.run(scratch, count)
      const ns = Number(process.hrtime.bigint() - start)
      if (allowed < 0) throw new Error('unreachable')
      rounds.get(e)?.push(ns / (passes * count))
    }
    log(`round ${r + 1}/${opts.rounds}: ${engines.map(e => `${e.name} ${sig(rounds.get(e)?.at(-1) ?? Number.NaN)} ns`).join(', ')}`)
  }

  const figures: EngineFigure[] = engines.map(e => {
    const ns = median(rounds.get(e) ?? [])
    const { count, passes } = plan.get(e) as { count: number, passes: number }
    return { engine: e.name, description: e.description, nsPerDecision: ns, decisionsPerSecond: 1e9 / ns, roundsNs: rounds.get(e) ?? [], decisionsPerRound: count * passes, setupMs: e.setupMs }
  })
  const nsOf = (e: EngineUnderTest): number => median(rounds.get(e) ?? [])
  // Ratios pair each engine's round with gatehouse's round of the same rotation (measured
  // moments apart), then take the median: steadier than a ratio of medians when other
  // processes load the machine unevenly.
  const paired = (e: EngineUnderTest): number => median((rounds.get(e) ?? []).map((ns, i) => ns / ((rounds.get(gatehouse) ?? [])[i] ?? Number.NaN)))
  const ratios = {
    gatehouseOverCasl: paired(casl),
    gatehouseOverCedar: paired(cedar),
    gatehouseOverPlain: paired(plain)
  }
  const gDps = 1e9 / nsOf(gatehouse)
  const targets = [
    { target: 'gatehouse ≥ 2,000,000 decisions/s', measured: `${int(gDps)} decisions/s`, met: gDps >= 2_000_000 },
    { target: 'gatehouse faster than CASL cached', measured: `${ratio(ratios.gatehouseOverCasl)} CASL's speed`, met: ratios.gatehouseOverCasl > 1 },
    { target: 'gatehouse ≥ 100× Cedar', measured: `${ratio(ratios.gatehouseOverCedar)} Cedar's speed`, met: ratios.gatehouseOverCedar >= 100 }
  ]
  return {
    template: TEMPLATE,
    subjects: w.subjects.length,
    requests: n,
    mix,
    reasons,
    translatedRules: t.ruleSet.rules.length,
    cedarPolicies: t.merged.length,
    profiles: t.profiles,
    engines: figures,
    ratios,
    targets
  }
}

function describeMix (w: Workload, answers: Uint8Array): { mix: Record<string, number>, reasons: Record<string, number> } {
  const mix: Record<string, number> = { allowed: 0, denied: 0, assigned: 0, project: 0, fieldQuestions: 0, overridden: 0, notActive: 0 }
  const reasons: Record<string, number> = {}
  const inc = (o: Record<string, number>, k: string): void => { o[k] = (o[k] ?? 0) + 1 }
  w.requests.forEach((q, i) => {
    inc(mix, answers[i] === 1 ? 'allowed' : 'denied')
    if (q.assigned) inc(mix, 'assigned')
    if (q.inProject) inc(mix, 'project')
    if (q.field !== undefined) inc(mix, 'fieldQuestions')
    if (q.subject.overrides !== undefined) inc(mix, 'overridden')
    if (q.subject.status === 'inactive' || q.subject.login === false) inc(mix, 'notActive')
    inc(reasons, decide(w.policy, { subject: q.subject, action: q.action, resource: resourceFacts(q.resource) }).reason.code)
  })
  return { mix, reasons }
}

function describeMismatch (w: Workload, q: BenchRequest, expected: boolean, engine: string): string {
  const d = decide(w.policy, { subject: q.subject, action: q.action, resource: resourceFacts(q.resource) })
  return `  ${q.resource.module}/${q.resource.id} \`${q.question}\` by ${JSON.stringify(q.subject)} on ${JSON.stringify(q.resource)}: ` +
    `gatehouse ${expected ? 'allows' : 'denies'} (${d.reason.code}${d.fields === undefined ? '' : `, fields ${JSON.stringify(d.fields)}`}), ${engine} ${expected ? 'denies' : 'allows'}`
}

/** The engine part of the report, as text. */
export function formatEngineReport (r: EngineBenchResult): string {
  const rows = r.engines.map(e => [
    e.engine,
    sig(e.nsPerDecision),
    int(e.decisionsPerSecond),
    // gatehouse ÷ X in speed is X ÷ gatehouse in time per decision.
    e.engine === 'gatehouse' ? '1×' : ratio(e.engine === 'CASL cached' ? r.ratios.gatehouseOverCasl : e.engine === 'plain JS' ? r.ratios.gatehouseOverPlain : r.ratios.gatehouseOverCedar),
    int(e.decisionsPerRound),
    int(e.setupMs)
  ])
  const mix = Object.entries(r.mix).map(([k, v]) => `${k} ${int(v)}`).join(', ')
  const reasons = Object.entries(r.reasons).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${int(v)}`).join(', ')
  return [
    `Engine: template \`${r.template}\`, ${int(r.subjects)} subjects, ${int(r.requests)} requests (${mix})`,
    `gatehouse reasons: ${reasons}`,
    `${r.translatedRules} translated rules (${r.cedarPolicies} Cedar policies), ${r.profiles} distinct subject profiles`,
    '',
    table(['engine', 'ns/decision', 'decisions/s', 'time vs gatehouse', 'decisions/round', 'setup ms'], rows),
    '',
    `speed of gatehouse ÷ CASL cached: ${ratio(r.ratios.gatehouseOverCasl)}, ÷ Cedar: ${ratio(r.ratios.gatehouseOverCedar)}, ÷ plain JS: ${ratio(r.ratios.gatehouseOverPlain)}` +
      ' (> 1× means gatehouse is faster; medians of per-round ratios)',
    '',
    table(['target', 'measured', 'met'], r.targets.map(t => [t.target, t.measured, t.met ? 'yes' : 'NO']))
  ].join('\n')
}
