/**
 * Two builds of gatehouse side by side: the working tree's and another revision's (`git
 * archive`, built with the same compiler), each answering the decision route beside the
 * bare Fastify route in one run, so that a change's before and after are measured under
 * the same load (`npm run bench -- http-against --against=<revision>`). Both serve a copy
 * of one database, seeded once through the API; the rounds rotate the order of the three
 * servers, and the figures are medians of per-round ratios to the bare route.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HttpFigure } from './http-bench.js'
import { measure, prepareHttp, startGatehouse, startBare, workDir } from './http-bench.js'
import type { Started } from './http/processes.js'
import { builtService, freePort, startPinned, waitReady } from './http/processes.js'
import { median, sig, table } from './lib/stats.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where the other revision is unpacked and built: inside the checkout, so that its imports find `node_modules`. */
const AGAINST_DIR = join(ROOT, '.bench-against')
/** The issue 17.2 target: gatehouse at 80 % of the bare route per CPU-second, whatever the mix. */
const TARGET = 0.8

export interface HttpAgainstOptions {
  /** The revision to compare the working tree with (anything `git archive` takes). */
  against: string
  subjects: number
  pool: number
  connections: number
  seconds: number
  warmupSeconds: number
  rounds: number
  log: (line: string) => void
}

interface Row {
  name: string
  mix: string
  /** Requests per server CPU-second of each round, and the same of the bare route on that mix and round. */
  perCpu: number[]
  bare: number[]
  /** Median of the per-round ratios to the bare route, per CPU-second. */
  ratio: number
  /** Median µs of server CPU per request. */
  usPerRequest: number
}

export interface HttpAgainstResult {
  against: { revision: string, commit: string }
  workingTree: { commit: string, dirty: boolean }
  rounds: number
  seconds: number
  connections: number
  rows: Row[]
  bareUsPerRequest: Record<string, number>
}

/** The commit `revision` names, in full. */
function commitOf (revision: string): string {
  const r = spawnSync('git', ['rev-parse', '--verify', `${revision}^{commit}`], { cwd: ROOT, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`\`${revision}\` names no commit: ${r.stderr.trim()}`)
  return r.stdout.trim()
}

/** Unpacks `commit` under `.bench-against/` and builds it; returns its `src/main.js`. */
function buildRevision (commit: string, log: (line: string) => void): string {
  const dir = join(AGAINST_DIR, commit.slice(0, 12))
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const archive = spawnSync('sh', ['-c', `git archive ${commit} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  if (archive.status !== 0) throw new Error(`could not unpack ${commit}`)
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.build.json')], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] })
  if (tsc.status !== 0) throw new Error(`${commit} does not build`)
  log(`built ${commit.slice(0, 12)} in ${dir}`)
  return join(dir, 'dist/src/main.js')
}

export async function runHttpAgainstBench (opts: HttpAgainstOptions): Promise<HttpAgainstResult> {
  const { log } = opts
  const commit = commitOf(opts.against)
  const head = commitOf('HEAD')
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== ''
  const builds = [{ name: 'working tree', main: builtService() }, { name: commit.slice(0, 12), main: buildRevision(commit, log) }]
  const prepared = prepareHttp({ subjects: opts.subjects, pool: opts.pool, batches: 1, batchSize: 1 })
  const work = workDir()
  const running: Started[] = []
  try {
    // One database, seeded once through the working tree's build; each build serves its own copy.
    const seeded = await startGatehouse(work, prepared, log)
    await seeded.process.stop()
    const servers: Array<{ name: string, process: Started, base: string }> = []
    for (const build of builds) {
      const data = join(work, `data-${servers.length}`)
      cpSync(join(work, 'data'), data, { recursive: true })
      const port = await freePort()
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_DATA_DIR: data, GATEHOUSE_ROOT_KEY: seeded.rootKey, LOG_LEVEL: 'warn' }
      delete env.DATABASE_URL
      const p = startPinned(build.name, 0, process.execPath, [build.main], env)
      running.push(p)
      await waitReady(p, `http://127.0.0.1:${port}/readyz`)
      servers.push({ name: build.name, process: p, base: `http://127.0.0.1:${port}` })
    }
    const bare = await startBare(0, [], seeded.typicalAnswer)
    running.push(bare.process)
    const targets = [...servers, { name: 'bare Fastify', process: bare.process, base: bare.base }]
    const mixes = [{ mix: '100% inline', bodies: seeded.inlineBodies }, { mix: '25% inline', bodies: seeded.singleBodies }]
    // figures[mix][target][round]
    const figures: HttpFigure[][][] = mixes.map(() => targets.map(() => []))
    for (let r = 0; r < opts.rounds; r++) {
      for (const [m, { mix, bodies }] of mixes.entries()) {
        for (let k = 0; k < targets.length; k++) {
          const i = (k + r) % targets.length
          const t = targets[i] as typeof targets[number]
          const f = await measure(opts, `${t.name}, ${mix}`, mix, t.process, t.base, '/access/v1/evaluation', seeded.headers, bodies, 1, work, line => { log(`round ${r + 1} of ${opts.rounds}: ${line}`) })
          figures[m]?.[i]?.push(f)
        }
      }
    }
    const perCpu = (f: HttpFigure): number => f.requestsPerCpuSecond ?? Number.NaN
    const rows: Row[] = []
    const bareUsPerRequest: Record<string, number> = {}
    for (const [m, { mix }] of mixes.entries()) {
      const bareRounds = (figures[m]?.[targets.length - 1] ?? []).map(perCpu)
      bareUsPerRequest[mix] = 1e6 / median(bareRounds)
      for (const [i, s] of servers.entries()) {
        const mine = (figures[m]?.[i] ?? []).map(perCpu)
        rows.push({ name: s.name, mix, perCpu: mine, bare: bareRounds, ratio: median(mine.map((x, r) => x / (bareRounds[r] as number))), usPerRequest: 1e6 / median(mine) })
      }
    }
    return { against: { revision: opts.against, commit }, workingTree: { commit: head, dirty }, rounds: opts.rounds, seconds: opts.seconds, connections: opts.connections, rows, bareUsPerRequest }
  } finally {
    for (const p of running) await p.stop()
    rmSync(work, { recursive: true, force: true })
    rmSync(AGAINST_DIR, { recursive: true, force: true })
  }
}

export function formatHttpAgainstReport (r: HttpAgainstResult): string {
  const tree = `working tree (${r.workingTree.commit.slice(0, 12)}${r.workingTree.dirty ? ', with uncommitted changes' : ''})`
  return [
    `HTTP, two builds side by side: ${tree} against ${r.against.revision} (${r.against.commit.slice(0, 12)}), each beside the bare Fastify route; ` +
      `${r.connections} connections, ${r.seconds} s per run, ${r.rounds} rotated rounds; ratios are medians of per-round ratios of requests per server CPU-second`,
    '',
    table(['build', 'mix', 'µs CPU/request', 'bare route µs', '÷ bare route per CPU-s', 'target', 'met', 'rounds (÷ bare)'], r.rows.map(row => [
      row.name === 'working tree' ? tree : row.name, row.mix, sig(row.usPerRequest), sig(r.bareUsPerRequest[row.mix] ?? Number.NaN),
      `${sig(row.ratio * 100)}%`, `≥ ${TARGET * 100}%`, row.ratio >= TARGET ? 'yes' : 'NO',
      row.perCpu.map((x, i) => `${sig(x / (row.bare[i] as number) * 100)}%`).join(' / ')
    ]))
  ].join('\n')
}
