/**
 * `npm run bench [-- engine|conditions|http|search|acl-search|propagation|memory|coldstart|testloop|profile|http-against ...] [--quick] [--inline] [--seconds=N] [--subjects=N] [--requests=N] [--resources=N] [--trials=N] [--keep-database=NAME] [--against=REV]`
 *
 * Runs the benchmarks (default: engine, conditions, http, search, acl-search, propagation, memory, coldstart, then testloop), prints each part's table, and writes
 * the figures to `test/bench/results/latest.json` (a part run alone replaces only its
 * own entry; a `--quick` smoke run writes nothing). Exits non-zero only when something could not be measured or an engine's
 * answers differ from gatehouse's; a missed target is reported, never a failure.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatAclSearchReport, runAclSearchBench } from './acl-search-bench.js'
import { formatConditionsReport, runConditionsBench } from './conditions-bench.js'
import { formatEngineReport, runEngineBench } from './engine-bench.js'
import { formatHttpAgainstReport, runHttpAgainstBench } from './http-against-bench.js'
import { formatHttpReport, runHttpBench } from './http-bench.js'
import { formatColdStartReport, runColdStartBench } from './cold-start-bench.js'
import { formatMemoryReport, runMemoryBench } from './memory-bench.js'
import { formatProfileReport, runProfiles } from './profile-bench.js'
import { formatPropagationReport, runPropagationBench } from './propagation-bench.js'
import { formatSearchReport, runSearchBench } from './search-bench.js'
import { formatTestLoopReport, runTestLoopBench } from './test-loop-bench.js'
import type { TestLoopResult } from './test-loop-bench.js'

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url))
const PARTS = ['engine', 'conditions', 'http', 'search', 'acl-search', 'propagation', 'memory', 'coldstart', 'testloop', 'profile', 'http-against'] as const
type Part = typeof PARTS[number]

interface Args {
  parts: Part[]
  quick: boolean
  /** `profile`: every request with inline properties. */
  inline: boolean
  seconds: number | undefined
  subjects: number | undefined
  requests: number | undefined
  resources: number | undefined
  trials: number | undefined
  /** `acl-search`: a PostgreSQL database the seeded tenant is kept in across runs. */
  keepDatabase: string | undefined
  /** `http-against`: the revision the working tree's build is compared with. */
  against: string | undefined
}

function parseArgs (argv: readonly string[]): Args {
  const args: Args = { parts: [], quick: false, inline: false, seconds: undefined, subjects: undefined, requests: undefined, resources: undefined, trials: undefined, keepDatabase: undefined, against: undefined }
  const positive = (name: string, value: string): number => {
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`\`--${name}\` must be a positive integer, not \`${value}\``)
    return n
  }
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined]
    if ((PARTS as readonly string[]).includes(arg)) args.parts.push(arg as Part)
    else if (arg === '--quick') args.quick = true
    else if (arg === '--inline') args.inline = true
    else if (flag === '--seconds' && value !== undefined) args.seconds = positive('seconds', value)
    else if (flag === '--subjects' && value !== undefined) args.subjects = positive('subjects', value)
    else if (flag === '--requests' && value !== undefined) args.requests = positive('requests', value)
    else if (flag === '--resources' && value !== undefined) args.resources = positive('resources', value)
    else if (flag === '--trials' && value !== undefined) args.trials = positive('trials', value)
    else if (flag === '--keep-database' && value !== undefined && value !== '') args.keepDatabase = value
    else if (flag === '--against' && value !== undefined && value !== '') args.against = value
    else throw new Error(`unknown argument \`${arg}\`: expected ${PARTS.join(', ')}, --quick, --inline, --seconds=N, --subjects=N, --requests=N, --resources=N, --trials=N, --keep-database=NAME, --against=REV`)
  }
  if (args.parts.includes('http-against') && args.against === undefined) throw new Error('`http-against` needs `--against=<revision>`: the build to compare the working tree with')
  if (args.parts.length === 0) args.parts = ['engine', 'conditions', 'http', 'search', 'acl-search', 'propagation', 'memory', 'coldstart', 'testloop']
  return args
}

function machine (): Record<string, unknown> {
  return {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavg1m: Number((loadavg()[0] ?? 0).toFixed(2))
  }
}

const log = (line: string): void => { process.stderr.write(`${line}\n`) }

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const subjects = args.subjects ?? (args.quick ? 2000 : 10_000)
  const results: Record<string, unknown> = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown> : {}
  const m = machine()
  log(`machine: ${String(m.cpus)} cpus (${String(m.model)}), node ${String(m.node)}, load average ${String(m.loadavg1m)} (figures are noisy when other work runs: compare ratios measured in one run)`)
  for (const part of args.parts) {
    const started = new Date().toISOString()
    const before = machine()
    // What every part's result is kept with: when, how, and the machine before and after.
    const stamped = <T extends object>(r: T): T & { measuredAt: string, command: string, machine: typeof before, loadavgAfter: unknown } =>
      ({ measuredAt: started, command: commandOf(), machine: before, loadavgAfter: machine().loadavg1m, ...r })
    if (part === 'engine') {
      const r = await runEngineBench({
        subjects,
        requests: args.requests ?? (args.quick ? 5000 : 20_000),
        rounds: args.quick ? 5 : 15,
        minRoundMs: args.quick ? 100 : 150,
        cedarRequests: args.quick ? 200 : 500,
        log
      })
      process.stdout.write(`\n${formatEngineReport(r)}\n\n`)
      results.engine = stamped(r)
    } else if (part === 'conditions') {
      const r = await runConditionsBench({
        subjects: args.quick ? 500 : 2000,
        resources: args.resources ?? (args.quick ? 2000 : 10_000),
        requests: args.requests ?? (args.quick ? 5000 : 20_000),
        rounds: args.quick ? 5 : 15,
        minRoundMs: args.quick ? 100 : 150,
        cedarRequests: args.quick ? 500 : 2000,
        http: { seconds: args.seconds ?? (args.quick ? 3 : 5), warmupSeconds: args.quick ? 1 : 2, connections: 50, pool: args.quick ? 300 : 1000, rounds: args.quick ? 1 : 3 },
        log
      })
      process.stdout.write(`\n${formatConditionsReport(r)}\n\n`)
      results.conditions = stamped(r)
    } else if (part === 'http') {
      const r = await runHttpBench({
        subjects,
        pool: args.quick ? 300 : 1000,
        batches: args.quick ? 5 : 20,
        batchSize: 100,
        connections: 50,
        seconds: args.seconds ?? (args.quick ? 3 : 6),
        rounds: args.quick ? 1 : 3,
        warmupSeconds: args.quick ? 1 : 2,
        metricsCost: { rounds: args.quick ? 6 : 20, requestsPerRound: args.quick ? 1000 : 3000 },
        log
      })
      process.stdout.write(`\n${formatHttpReport(r)}\n\n`)
      results.http = stamped(r)
    } else if (part === 'search') {
      const r = await runSearchBench({ resources: args.resources ?? (args.quick ? 20_000 : 1_000_000), repeats: args.quick ? 5 : 30, log })
      process.stdout.write(`\n${formatSearchReport(r)}\n\n`)
      results.search = stamped(r)
    } else if (part === 'acl-search') {
      const r = await runAclSearchBench({
        resources: args.resources ?? (args.quick ? 20_000 : 1_000_000),
        pgliteResources: args.quick ? 5_000 : 100_000,
        repeats: args.quick ? 5 : 30,
        scenario: { documents: args.quick ? 300 : 3000, folders: args.quick ? 12 : 60 },
        ...(args.keepDatabase === undefined ? {} : { keepDatabase: args.keepDatabase }),
        log
      })
      process.stdout.write(`\n${formatAclSearchReport(r)}\n\n`)
      results['acl-search'] = stamped(r)
    } else if (part === 'propagation') {
      const r = await runPropagationBench({ trials: args.trials ?? (args.quick ? 20 : 200), log })
      process.stdout.write(`\n${formatPropagationReport(r)}\n\n`)
      results.propagation = stamped(r)
    } else if (part === 'memory') {
      const r = await runMemoryBench({ tenants: args.quick ? 100 : 1000, modules: 20, roles: 10, subjects: args.quick ? 10_000 : 100_000, log })
      process.stdout.write(`\n${formatMemoryReport(r)}\n\n`)
      results.memory = stamped(r)
    } else if (part === 'coldstart') {
      const r = await runColdStartBench({ tenants: args.quick ? [1, 100] : [1, 1000], log })
      process.stdout.write(`\n${formatColdStartReport(r)}\n\n`)
      results.coldstart = stamped(r)
    } else if (part === 'testloop') {
      if (args.quick) {
        log('test loop: skipped by --quick (it runs the whole suite)')
        continue
      }
      const r = await runTestLoopBench({ previous: results.testloop as (TestLoopResult & { measuredAt?: string }) | undefined, log })
      process.stdout.write(`\n${formatTestLoopReport(r)}\n\n`)
      results.testloop = stamped(r)
    } else if (part === 'http-against') {
      const r = await runHttpAgainstBench({
        against: args.against as string,
        subjects,
        pool: args.quick ? 300 : 1000,
        connections: 50,
        seconds: args.seconds ?? (args.quick ? 2 : 4),
        warmupSeconds: 1,
        rounds: args.quick ? 1 : 5,
        log
      })
      process.stdout.write(`\n${formatHttpAgainstReport(r)}\n\n`)
      results['http-against'] = stamped(r)
    } else {
      const r = await runProfiles({ subjects, requests: args.requests ?? 20_000, seconds: args.seconds ?? 5, inline: args.inline, log })
      process.stdout.write(`\n${formatProfileReport(r)}\n\n`)
      results.profile = { measuredAt: started, command: commandOf(), machine: before, ...r }
    }
  }
  if (args.quick) {
    log('quick run: figures not written')
    return
  }
  mkdirSync(dirname(RESULTS), { recursive: true })
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
  log(`figures written to ${RESULTS}`)
}

/** The command as typed: `npm run bench`, with its arguments after `--`. */
function commandOf (): string {
  const argv = process.argv.slice(2)
  return argv.length === 0 ? 'npm run bench' : `npm run bench -- ${argv.join(' ')}`
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
