/**
 * Where gatehouse's time goes: a CPU profile of `decide` alone (in this process, through
 * the inspector), and of the service and of the bare Fastify route under the same load
 * (`node --cpu-prof`, only the samples of the measured run), each summarized as CPU time
 * per decision or per request, by function and by source file or package. Profiling
 * slows code down, so these runs give no comparable figures: `npm run bench -- profile`.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gatehouseEngine } from './engines/gatehouse.js'
import type { Started } from './http/processes.js'
import { freePort, startPinned, TSX, waitReady } from './http/processes.js'
import type { CpuProfile } from './lib/profile.js'
import { hottest } from './lib/profile.js'
import { int, sig, table } from './lib/stats.js'
import { buildWorkload } from './lib/workload.js'
import { measure, prepareHttp, startGatehouse, workDir } from './http-bench.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface ProfileOptions {
  subjects: number
  requests: number
  seconds: number
  /** Every request with the resource's properties inline (issue 17.2), instead of a quarter of them. */
  inline: boolean
  log: (line: string) => void
}

/** CPU time per unit of work (ns per decision, µs per request) spent in one function or file. */
export interface Cost {
  name: string
  perUnit: number
  share: number
}

export interface ServerProfile {
  requests: number
  /** Busy CPU per request, µs. */
  perRequestUs: number
  functions: Cost[]
  files: Cost[]
}

/** A function or file of the service's profile with the bare route's cost for it. */
export interface Difference {
  name: string
  gatehouse: number
  bare: number
}

export interface ProfileResult {
  /** Whether every request carried inline properties (else a quarter did). */
  inline: boolean
  engine: { nsPerDecision: number, functions: Cost[], files: Cost[] }
  gatehouse: ServerProfile
  bare: ServerProfile
  /** Per request, µs, largest difference first: what the service spends beyond the bare route. */
  againstBare: { functions: Difference[], files: Difference[] }
}

const TOP = 15

export async function runProfiles (opts: ProfileOptions): Promise<ProfileResult> {
  const { log } = opts
  // The engine alone.
  const w = buildWorkload({ subjects: opts.subjects, requests: opts.requests })
  const engine = gatehouseEngine(w)
  const out = new Uint8Array(w.requests.length)
  const warm = performance.now()
  while (performance.now() - warm < 1000) engine.run(out, out.length)
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  await session.post('Profiler.start')
  const start = performance.now()
  let decisions = 0
  while (performance.now() - start < opts.seconds * 1000) {
    engine.run(out, out.length)
    decisions += out.length
  }
  const { profile } = await session.post('Profiler.stop')
  session.disconnect()
  const e = hottest(profile as CpuProfile, ROOT, { top: TOP })
  const perDecision = (ms: number): number => ms * 1e6 / decisions
  log('profiled `decide` alone')

  // The service, then the bare route, under the same load.
  const prepared = prepareHttp({ subjects: opts.subjects, pool: 500, batches: 1, batchSize: 100 })
  const work = workDir()
  try {
    const gatehouseDir = join(work, 'prof-gatehouse')
    const gatehouse = await startGatehouse(work, prepared, log, ['--cpu-prof', `--cpu-prof-dir=${gatehouseDir}`])
    const bodies = opts.inline ? gatehouse.inlineBodies : gatehouse.singleBodies
    const g = await profileServer(opts, 'gatehouse', gatehouse.process, gatehouseDir, gatehouse.base, gatehouse.headers, bodies, work, log)
    const bareDir = join(work, 'prof-bare')
    const port = await freePort()
    const bare = startPinned('bare Fastify', 0, process.execPath, ['--cpu-prof', `--cpu-prof-dir=${bareDir}`, '--import', TSX, join(ROOT, 'test/bench/http/bare-server.ts')], { ...process.env, PORT: String(port), BARE_ANSWER: gatehouse.typicalAnswer })
    await waitReady(bare, `http://127.0.0.1:${port}/healthz`).catch(async (err: unknown) => { await bare.stop(); throw err })
    const b = await profileServer(opts, 'bare Fastify', bare, bareDir, `http://127.0.0.1:${port}`, gatehouse.headers, bodies, work, log)
    return {
      inline: opts.inline,
      engine: {
        nsPerDecision: perDecision(e.busyMs),
        functions: e.functions.map(h => ({ name: h.name, perUnit: perDecision(h.selfMs), share: h.share })),
        files: e.files.map(h => ({ name: h.name, perUnit: perDecision(h.selfMs), share: h.share }))
      },
      gatehouse: trim(g),
      bare: trim(b),
      againstBare: { functions: against(g.functions, b.functions), files: against(g.files, b.files) }
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Loads a server started with `--cpu-prof`, stops it, and reads the samples of the measured run. */
async function profileServer (opts: ProfileOptions, name: string, server: Started, dir: string, base: string, headers: Record<string, string>, bodies: string[], work: string, log: (line: string) => void): Promise<ServerProfile> {
  const window = { from: 0, to: 0 }
  let requests = 0
  try {
    // 6 s, not 2: in the first seconds after seeding, gatehouse's heap settles (20 mark-compacts
    // in 5 s, then none: docs/benchmarks.md, issue 17.2, third round), which is not its steady state.
    await measure({ connections: 50, seconds: 6, warmupSeconds: 0 }, `${name} (profiled, warm-up)`, 'evaluation', server, base, '/access/v1/evaluation', headers, bodies, 1, work, log)
    window.from = Number(process.hrtime.bigint() / 1000n)
    const figure = await measure({ connections: 50, seconds: opts.seconds, warmupSeconds: 0 }, `${name} (profiled)`, 'evaluation', server, base, '/access/v1/evaluation', headers, bodies, 1, work, log)
    window.to = Number(process.hrtime.bigint() / 1000n)
    requests = figure.requests
  } finally {
    await server.stop()
  }
  // One file per thread (`CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile`): the main thread's, id 0, serves
  // the requests; gatehouse's policy workers write their own.
  const file = readdirSync(dir).find(f => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
  if (file === undefined) throw new Error(`${name} wrote no CPU profile of its main thread (did it exit cleanly on SIGTERM?)`)
  const h = hottest(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, ROOT, { top: 300, window })
  const perRequest = (ms: number): number => ms * 1000 / requests
  return {
    requests,
    perRequestUs: perRequest(h.busyMs),
    functions: h.functions.map(x => ({ name: x.name, perUnit: perRequest(x.selfMs), share: x.share })),
    files: h.files.map(x => ({ name: x.name, perUnit: perRequest(x.selfMs), share: x.share }))
  }
}

/** The largest differences, computed over every function profiled (a function the bare route never ran costs it 0). */
function against (mine: Cost[], bare: Cost[]): Difference[] {
  const bareCost = new Map(bare.map(c => [c.name, c.perUnit]))
  return mine
    .map(c => ({ name: c.name, gatehouse: c.perUnit, bare: bareCost.get(c.name) ?? 0 }))
    .sort((x, y) => (y.gatehouse - y.bare) - (x.gatehouse - x.bare))
    .slice(0, TOP)
}

/** What is kept of a server's profile: its hottest functions and files (every one is used for `against`). */
function trim (p: ServerProfile): ServerProfile {
  return { ...p, functions: p.functions.slice(0, 25), files: p.files.slice(0, 25) }
}

export function formatProfileReport (r: ProfileResult): string {
  const rows = (costs: Cost[], unit: string, n = TOP): string[][] => costs.slice(0, n).map(c => [`${sig(c.perUnit)} ${unit}`, `${sig(c.share * 100, 2)}%`, c.name])
  const diffRows = (diffs: Difference[]): string[][] => diffs.map(d => [`${sig(d.gatehouse)} µs`, `${sig(d.bare)} µs`, `${sig(d.gatehouse - d.bare)} µs`, d.name])
  return [
    `\`decide\` alone: ${sig(r.engine.nsPerDecision)} ns of CPU per decision (profiled, so slower than unprofiled), by function:`,
    table(['per decision', 'share', 'function'], rows(r.engine.functions, 'ns')),
    '',
    'by file:',
    table(['per decision', 'share', 'file'], rows(r.engine.files, 'ns')),
    '',
    `The service under load, POST /access/v1/evaluation, ${r.inline ? 'every' : 'a quarter of the'} request${r.inline ? '' : 's'} with inline properties: ${sig(r.gatehouse.perRequestUs)} µs of busy CPU per request ` +
      `(bare Fastify route: ${sig(r.bare.perRequestUs)} µs; ${int(r.gatehouse.requests)} and ${int(r.bare.requests)} requests profiled), by function:`,
    table(['per request', 'share', 'function'], rows(r.gatehouse.functions, 'µs', 25)),
    '',
    'by function, against the bare route (largest difference first):',
    table(['gatehouse', 'bare route', 'difference', 'function'], diffRows(r.againstBare.functions)),
    '',
    'by file or package, against the bare route (largest difference first):',
    table(['gatehouse', 'bare route', 'difference', 'file'], diffRows(r.againstBare.files))
  ].join('\n')
}
