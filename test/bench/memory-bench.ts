/**
 * Memory (issue 6): the resident set of a process holding 1,000 tenants (each its own
 * compiled policy of 20 modules and 10 roles) and 100,000 subjects, every subject having
 * answered one decision. Measured in a fresh child process (`memory/child.ts`) after a
 * forced garbage collection, before and after loading, so that the difference is what
 * the service's in-memory state costs.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TSX } from './http/processes.js'
import { int, sig, table } from './lib/stats.js'

export interface MemoryBenchOptions {
  tenants: number
  modules: number
  roles: number
  subjects: number
  log: (line: string) => void
}

interface Usage { rss: number, heapUsed: number, external: number }

export interface MemoryBenchResult {
  tenants: number
  modules: number
  roles: number
  subjects: number
  seconds: number
  before: Usage
  after: Usage
  /** after − before, in MiB. */
  rssMiB: number
  heapMiB: number
  /** Heap bytes per subject and per tenant, if all of the heap growth were one or the other. */
  kibPerTenant: number
  bytesPerSubject: number
}

const CHILD = fileURLToPath(new URL('./memory/child.ts', import.meta.url))
const MiB = 1024 * 1024

export async function runMemoryBench (opts: MemoryBenchOptions): Promise<MemoryBenchResult> {
  opts.log(`memory: loading ${int(opts.tenants)} tenants × ${opts.modules} modules × ${opts.roles} roles and ${int(opts.subjects)} subjects in a fresh process`)
  const started = performance.now()
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', TSX, CHILD, ...[opts.tenants, opts.modules, opts.roles, opts.subjects].map(String)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the memory child exited with ${String(code)}:\n${err.slice(-4000)}`)
  const r = JSON.parse(out.trim().split('\n').pop() as string) as { tenants: number, subjects: number, before: Usage, after: Usage }
  if (r.tenants !== opts.tenants || r.subjects < opts.subjects) throw new Error(`the memory child loaded ${r.tenants} tenants and ${r.subjects} subjects, not ${opts.tenants} and ${opts.subjects}`)
  const heap = r.after.heapUsed - r.before.heapUsed
  return {
    tenants: r.tenants,
    modules: opts.modules,
    roles: opts.roles,
    subjects: r.subjects,
    seconds: (performance.now() - started) / 1000,
    before: r.before,
    after: r.after,
    rssMiB: (r.after.rss - r.before.rss) / MiB,
    heapMiB: heap / MiB,
    kibPerTenant: heap / r.tenants / 1024,
    bytesPerSubject: heap / r.subjects
  }
}

export function formatMemoryReport (r: MemoryBenchResult): string {
  const mib = (n: number): string => sig(n / MiB)
  return [
    `Memory: ${int(r.tenants)} tenants × ${r.modules} modules × ${r.roles} roles, ${int(r.subjects)} subjects (each answered one decision); loaded in ${sig(r.seconds)} s`,
    '',
    table(['', 'RSS MiB', 'heap used MiB', 'external MiB'], [
      ['empty process', mib(r.before.rss), mib(r.before.heapUsed), mib(r.before.external)],
      ['loaded', mib(r.after.rss), mib(r.after.heapUsed), mib(r.after.external)],
      ['difference', sig(r.rssMiB), sig(r.heapMiB), sig((r.after.external - r.before.external) / MiB)]
    ]),
    '',
    `Heap per tenant (all of it counted as tenants): ${sig(r.kibPerTenant)} KiB; per subject (all of it counted as subjects): ${int(r.bytesPerSubject)} bytes.`
  ].join('\n')
}
