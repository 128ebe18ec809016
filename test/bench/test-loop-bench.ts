/**
 * The test loop (issue 17.4): the README's test command, `npm test` (lint, type check,
 * every tap file with coverage, the engine's coverage gate), timed whole on this machine,
 * beside the 5-minute target and the figure of the previous run kept in
 * `results/latest.json`.
 *
 * CPU time is the children's, read from `/proc/self/stat` (`cutime` + `cstime`) before and
 * after: every process below `npm test` is waited for by its parent, so their CPU adds up
 * into ours. On a shared machine the wall time swings with the load; the CPU time says
 * whether the suite itself got cheaper. The slowest files come from each file's closing
 * `# time=` line in `.tap/test-results`, as `.ci/run` prints them.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { int, sig, table } from './lib/stats.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const RESULTS_DIR = join(ROOT, '.tap/test-results')
/** Target (issue 17.4): `npm test` under 5 minutes on the 2-core machine. */
export const TEST_LOOP_TARGET_S = 300
/** Linux's clock ticks per second for `/proc` times (`getconf CLK_TCK`), 100 on every kernel configuration Node runs on here. */
const CLOCK_TICKS = 100

export interface TestLoopOptions {
  log: (line: string) => void
  /** The previous run's result as `results/latest.json` keeps it, to print beside this one. */
  previous: (TestLoopResult & { measuredAt?: string }) | undefined
}

export interface SlowFile {
  file: string
  seconds: number
}

export interface TestLoopResult {
  /** `npm test`'s exit code: a failing suite is still timed, and said so. */
  exitCode: number
  wallSeconds: number
  /** CPU of every process below `npm test` (user + system). */
  cpuSeconds: number
  /** tap's own `# time=` for the test files, without lint, type check and the gate. */
  tapSeconds: number | undefined
  files: number
  slowest: SlowFile[]
  targetSeconds: number
  previous?: { wallSeconds: number, cpuSeconds: number, measuredAt?: string }
}

function childrenCpuSeconds (): number {
  // Fields after the command name (which may hold spaces): state is field 3, cutime 16, cstime 17.
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS
}

function tapFiles (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? tapFiles(join(dir, e.name)) : e.name.endsWith('.tap') ? [join(dir, e.name)] : [])
}

/** Each test file's closing `# time=` line, slowest first. */
export function fileTimes (): SlowFile[] {
  return tapFiles(RESULTS_DIR).flatMap(path => {
    const line = readFileSync(path, 'utf8').split('\n').filter(l => l.startsWith('# time=')).at(-1)
    const ms = line === undefined ? Number.NaN : Number.parseFloat(line.slice('# time='.length))
    return Number.isFinite(ms) ? [{ file: relative(RESULTS_DIR, path).replace(/\.tap$/, ''), seconds: ms / 1000 }] : []
  }).sort((a, b) => b.seconds - a.seconds)
}

export async function runTestLoopBench (opts: TestLoopOptions): Promise<TestLoopResult> {
  const env = { ...process.env, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' }
  opts.log('test loop: running `npm test` (the whole suite, about 5 to 15 minutes)...')
  const cpuBefore = childrenCpuSeconds()
  const started = performance.now()
  const child = spawn('npm', ['test', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  const keep = (chunk: Buffer): void => { tail = (tail + chunk.toString()).slice(-20_000) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exitCode = await new Promise<number>(resolve => child.once('close', code => { resolve(code ?? 1) }))
  const wallSeconds = (performance.now() - started) / 1000
  const cpuSeconds = childrenCpuSeconds() - cpuBefore
  const tapTime = [...tail.matchAll(/^# time=([\d.]+)ms$/gm)].at(-1)?.[1]
  const times = fileTimes()
  if (exitCode !== 0) opts.log(`test loop: npm test exited with ${exitCode}; its last lines:\n${tail.slice(-3000)}`)
  opts.log(`test loop: ${sig(wallSeconds)} s of wall time, ${sig(cpuSeconds)} s of CPU, ${times.length} files`)
  return {
    exitCode,
    wallSeconds,
    cpuSeconds,
    tapSeconds: tapTime === undefined ? undefined : Number(tapTime) / 1000,
    files: times.length,
    slowest: times.slice(0, 10),
    targetSeconds: TEST_LOOP_TARGET_S,
    ...(opts.previous === undefined ? {} : { previous: { wallSeconds: opts.previous.wallSeconds, cpuSeconds: opts.previous.cpuSeconds, ...(opts.previous.measuredAt === undefined ? {} : { measuredAt: opts.previous.measuredAt }) } })
  }
}

export function formatTestLoopReport (r: TestLoopResult & { measuredAt?: string }): string {
  const rows = [['this run', sig(r.wallSeconds), sig(r.cpuSeconds), r.tapSeconds === undefined ? '-' : sig(r.tapSeconds), r.wallSeconds < r.targetSeconds ? 'met' : 'NO']]
  if (r.previous !== undefined) rows.push([`previous (${r.previous.measuredAt ?? 'unknown date'})`, sig(r.previous.wallSeconds), sig(r.previous.cpuSeconds), '-', ''])
  return [
    `Test loop: \`npm test\` whole (lint, type check, ${int(r.files)} test files with coverage, engine gate), target < ${int(r.targetSeconds)} s${r.exitCode === 0 ? '' : ` — THE SUITE FAILED (exit ${r.exitCode})`}`,
    table(['run', 'wall s', 'CPU s', 'tap s', 'target'], rows),
    'slowest files (wall time, beside the other files tap runs at once):',
    table(['s', 'file'], r.slowest.map(f => [sig(f.seconds), f.file]))
  ].join('\n')
}
