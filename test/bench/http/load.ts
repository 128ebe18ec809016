/**
 * The load generator, run as its own process (pinned to core 1 by the benchmark):
 * autocannon's programmatic API against one URL, each connection cycling through the
 * pool of bodies (prebuilt by autocannon: a `setupRequest` hook would rebuild every
 * request and make the generator the bottleneck), after a warm-up. Reads its job from
 * the JSON file named by argv[2]; prints `start` when the measured run begins, then the
 * result as one JSON line on stdout.
 */
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { schedTimes } from './processes.js'

export interface LoadJob {
  url: string
  path: string
  headers: Record<string, string>
  bodies: string[]
  connections: number
  seconds: number
  warmupSeconds: number
}

export interface LoadResult {
  requestsPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyAvgMs: number
  latencyMaxMs: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  seconds: number
  /** The generator's own share of a core during the measured run, and its time waiting for one (`null` off Linux). */
  generatorCpu: number | null
  generatorWait: number | null
}

async function run (job: LoadJob, seconds: number): Promise<autocannon.Result> {
  const headers = { 'content-type': 'application/json', ...job.headers }
  return await autocannon({
    url: job.url,
    connections: job.connections,
    duration: seconds,
    requests: job.bodies.map(body => ({ method: 'POST', path: job.path, headers, body }))
  })
}

const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoadJob
if (job.warmupSeconds > 0) await run(job, job.warmupSeconds)
// Tells the parent that the measured run starts (it reads the server's CPU time here).
process.stdout.write('start\n')
const before = schedTimes(process.pid)
const t0 = performance.now()
const r = await run(job, job.seconds)
const after = schedTimes(process.pid)
const wall = (performance.now() - t0) / 1000
const result: LoadResult = {
  requestsPerSecond: r.requests.average,
  latencyP50Ms: r.latency.p50,
  latencyP99Ms: r.latency.p99,
  latencyAvgMs: r.latency.average,
  latencyMaxMs: r.latency.max,
  requests: r.requests.total,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  seconds: r.duration,
  generatorCpu: before === undefined || after === undefined ? null : (after.cpu - before.cpu) / wall,
  generatorWait: before === undefined || after === undefined ? null : (after.wait - before.wait) / wall
}
process.stdout.write(`${JSON.stringify(result)}\n`)
