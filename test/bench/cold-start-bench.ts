/**
 * Cold start (issue 17.3): the time from process start to the first answered decision,
 * and the process's resident set once idle, on PGlite and on PostgreSQL with 1 and
 * 1,000 tenants stored (each the `service-company` template, one subject, and for the
 * first tenant a key). Each case seeds a fresh store through the store API, closes it,
 * then starts the service as it runs in production, `node dist/src/main.js`, nothing
 * needing a build (`dist/` is built once first), and asks one decision every 5 ms until
 * one is answered. One more case runs the PGlite start through `npm start`, which adds
 * npm itself and the freshness check of `scripts/build-if-stale.mjs`.
 *
 * Idle RSS is read from `/proc/<pid>/status` 3 s after the first decision; it is stated
 * beside a bare Node process (`node -e` with a timer) so that what gatehouse adds is seen.
 * The PostgreSQL database is a throwaway one on BENCH_DATABASE_URL (else
 * TEST_DATABASE_URL, else the local server).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import type { Bundle } from '../../src/engine/model.js'
import { mintKey } from '../../src/service/keys.js'
import { openStore } from '../../src/store/connect.js'
import { createTestDatabase } from '../helpers/db.js'
import { builtService, freePort } from './http/processes.js'
import { int, sig, table } from './lib/stats.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Target (issue 17.3): the first decision within 2 s of process start when nothing needs building. */
export const FIRST_DECISION_TARGET_MS = 2000

export interface ColdStartOptions {
  /** Tenant counts to store; default [1, 1000]. */
  tenants: number[]
  log: (line: string) => void
}

export interface ColdStartCase {
  backend: 'pglite' | 'postgres'
  tenants: number
  /** `node dist/src/main.js`, or `npm start` (npm, then the build check, then the same). */
  command: string
  /** Process start to the first 200 of `POST /access/v1/evaluation`. */
  firstDecisionMs: number
  /** Resident set 3 s after the first decision. */
  idleRssMiB: number
  seedSeconds: number
}

export interface ColdStartResult {
  cases: ColdStartCase[]
  /** A bare `node` process waiting on a timer: what Node alone is resident with. */
  bareNodeRssMiB: number
  targetMs: number
}

const MiB = 1024 * 1024
const bundle = parse(readFileSync(join(ROOT, 'src/templates/service-company/bundle.yaml'), 'utf8')) as Bundle
const firstRole = Object.keys(bundle.roles)[0] as string
const firstModule = Object.keys(bundle.modules)[0] as string
const firstAction = Object.keys(bundle.modules[firstModule]?.actions ?? {})[0] as string

/** Stores `tenants` tenants; returns the first tenant's check key. */
async function seed (location: { databaseUrl?: string, dataDir: string }, tenants: number): Promise<string> {
  const store = await openStore(location)
  try {
    for (let i = 0; i < tenants; i++) {
      const tenantId = `t${i}`
      await store.putTenant(tenantId, { name: `Tenant ${i}` })
      await store.putPolicy(tenantId, bundle)
      await store.putSubject(tenantId, { id: 'marie', roles: [firstRole] })
    }
    const { keyId, token, secretHash } = mintKey()
    await store.createKey({ id: keyId, tenantId: 't0', secretHash, scopes: ['check'] })
    return token
  } finally {
    await store.close()
  }
}

function rssMiB (pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:'))
  return line === undefined ? Number.NaN : Number(line.replace(/\D+/g, '')) * 1024 / MiB
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))])
}

/** Starts `command args`, asks a decision every 5 ms until one is answered; the time and the idle RSS. */
async function firstDecision (command: string, args: string[], env: NodeJS.ProcessEnv, port: number, token: string): Promise<{ ms: number, rss: number }> {
  const body = JSON.stringify({ subject: { type: 'user', id: 'marie' }, action: { name: firstAction }, resource: { type: firstModule, id: 'r1' } })
  const started = performance.now()
  // `detached`: npm start's children are signalled as a group.
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let output = ''
  child.stderr?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000) })
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${output}`)
      if (performance.now() - started > 120_000) throw new Error(`no decision within 120 s: ${output}`)
      const answered = await fetch(`http://127.0.0.1:${port}/access/v1/evaluation`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body
      }).then(res => res.status, () => 0)
      if (answered === 200) break
      if (answered !== 0 && answered !== 503) throw new Error(`the decision answered ${answered}: ${output}`)
      await sleep(5)
    }
    const ms = performance.now() - started
    await sleep(3000)
    // `npm start` runs the service as a grandchild: its RSS is the node process listening on the port.
    const pid = command === 'npm' ? servicePid(child.pid) : child.pid
    return { ms, rss: rssMiB(pid) }
  } finally {
    if (child.pid !== undefined) {
      try { process.kill(-child.pid, 'SIGTERM') } catch {}
    }
    await stop(child)
  }
}

/** The newest `node` process descending from `pid` (npm → sh → node). */
function servicePid (pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  let current = pid
  for (let depth = 0; depth < 4; depth++) {
    let children: string[] = []
    try {
      children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    } catch {
      return current
    }
    const next = children.at(-1)
    if (next === undefined) return current
    current = Number(next)
  }
  return current
}

async function bareNodeRss (): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  await sleep(1000)
  const rss = rssMiB(child.pid)
  await stop(child)
  return rss
}

export async function runColdStartBench (opts: ColdStartOptions): Promise<ColdStartResult> {
  const main = builtService()
  // Stamp dist/ as current, as a start after a build would find it.
  const check = spawn(process.execPath, [join(ROOT, 'scripts/build-if-stale.mjs')], { cwd: ROOT, stdio: 'inherit' })
  await new Promise(resolve => check.once('exit', resolve))
  const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const rootKey = 'cold-start-root-key-0123456789abcdef'
  const cases: ColdStartCase[] = []
  for (const backend of ['pglite', 'postgres'] as const) {
    for (const tenants of opts.tenants) {
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cold-'))
      const database = backend === 'postgres' ? await createTestDatabase(server) : undefined
      try {
        const seedStart = performance.now()
        opts.log(`cold start: storing ${int(tenants)} tenants on ${backend}...`)
        const token = await seed({ dataDir, ...(database === undefined ? {} : { databaseUrl: database.url }) }, tenants)
        const seedSeconds = (performance.now() - seedStart) / 1000
        const runs: Array<{ command: string, args: string[] }> = [{ command: process.execPath, args: [main] }]
        if (backend === 'pglite' && tenants === opts.tenants[0]) runs.push({ command: 'npm', args: ['start', '--silent'] })
        for (const run of runs) {
          const port = await freePort()
          const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_ROOT_KEY: rootKey, LOG_LEVEL: 'warn', GATEHOUSE_DATA_DIR: dataDir }
          if (database === undefined) delete env.DATABASE_URL
          else env.DATABASE_URL = database.url
          const { ms, rss } = await firstDecision(run.command, run.args, env, port, token)
          const command = run.command === 'npm' ? 'npm start' : 'node dist/src/main.js'
          opts.log(`cold start: ${backend}, ${int(tenants)} tenants, ${command}: first decision after ${int(ms)} ms, idle RSS ${sig(rss)} MiB`)
          cases.push({ backend, tenants, command, firstDecisionMs: ms, idleRssMiB: rss, seedSeconds })
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
        await database?.drop()
      }
    }
  }
  return { cases, bareNodeRssMiB: await bareNodeRss(), targetMs: FIRST_DECISION_TARGET_MS }
}

export function formatColdStartReport (r: ColdStartResult): string {
  const rows = r.cases.map(c => [
    c.backend, int(c.tenants), c.command, int(c.firstDecisionMs), c.firstDecisionMs < r.targetMs ? 'met' : 'NO', sig(c.idleRssMiB), sig(c.idleRssMiB - r.bareNodeRssMiB)
  ])
  return [
    `Cold start: process start to the first answered decision, nothing to build (target < ${int(r.targetMs)} ms); idle RSS 3 s later`,
    table(['store', 'tenants', 'command', 'first decision ms', 'target', 'idle RSS MiB', 'over bare node MiB'], rows),
    `bare node process (baseline): ${sig(r.bareNodeRssMiB)} MiB resident`
  ].join('\n')
}
