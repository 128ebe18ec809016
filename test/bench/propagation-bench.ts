/**
 * Propagation (issue 6): two gatehouse processes (replicas A and B, `src/main.ts` with
 * their default settings) on one PostgreSQL database. Each trial changes a role on A
 * (the level of `employee` on `jobs`, up or down) and then asks B the same question in a
 * tight loop until B's decision changes. Reported: the time from A's answer to the write
 * (the change is committed) to B's first changed decision, and from sending the write.
 * The database is a throwaway one created on BENCH_DATABASE_URL (else TEST_DATABASE_URL,
 * else the local server) and dropped at the end.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createTestDatabase } from '../helpers/db.js'
import { builtService, freePort, startServer, type Started } from './http/processes.js'
import { int, sig, table } from './lib/stats.js'

export interface PropagationBenchOptions {
  trials: number
  log: (line: string) => void
}

interface Percentiles { p50: number, p90: number, p99: number, max: number }

export interface PropagationBenchResult {
  trials: number
  postgres: string
  /** ms from A's response to the write until B's decision changed. */
  afterCommitMs: Percentiles
  /** ms from sending the write to A until B's decision changed. */
  afterSendMs: Percentiles
  /** ms A took to answer the write. */
  writeMs: Percentiles
  /** B's questions per trial until it changed (median). */
  medianPolls: number
  target: string
  targetMet: boolean
}

const TENANT = 'propagation'
const TRIAL_TIMEOUT_MS = 10_000

const bundle = {
  version: 1,
  modules: { jobs: { relations: ['assignee'], assigned: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } } } },
  roles: { employee: { modules: { jobs: { access: 'all', level: 'limited' } } } }
}

function percentiles (values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] as number }
}

async function call (method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number, json: any }> {
  const res = await fetch(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

async function expectOk (what: string, p: Promise<{ status: number, json: any }>): Promise<any> {
  const res = await p
  if (res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.json)}`)
  return res.json
}

async function startReplica (name: string, cpu: number, databaseUrl: string, rootKey: string): Promise<{ base: string, process: Started }> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, GATEHOUSE_ROOT_KEY: rootKey, LOG_LEVEL: 'warn' }
  delete env.GATEHOUSE_POLL_MS
  return await startServer(name, cpu, process.execPath, [builtService()], env, port, '/readyz')
}

export async function runPropagationBench (opts: PropagationBenchOptions): Promise<PropagationBenchResult> {
  const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const database = await createTestDatabase(server)
  const rootKey = randomBytes(24).toString('hex')
  const replicas: Array<{ base: string, process: Started }> = []
  try {
    // A first: it applies the migrations; B finds them applied.
    const a = await startReplica('replica A', 0, database.url, rootKey)
    replicas.push(a)
    const b = await startReplica('replica B', 1, database.url, rootKey)
    replicas.push(b)
    const root = { authorization: `Bearer ${rootKey}` }
    await expectOk('create the tenant', call('PUT', `${a.base}/v1/tenants/${TENANT}`, root, { name: 'Propagation benchmark' }))
    const key = await expectOk('create a key', call('POST', `${a.base}/v1/tenants/${TENANT}/keys`, root, { scopes: ['check', 'admin'] })) as { secret: string }
    const auth = { authorization: `Bearer ${key.secret}` }
    await expectOk('import the policy', call('PUT', `${a.base}/v1/tenants/${TENANT}/policy`, auth, bundle))
    await expectOk('store the subject', call('PUT', `${a.base}/v1/tenants/${TENANT}/subjects/marie`, auth, { roles: ['employee'] }))
    const question = { subject: { type: 'user', id: 'marie' }, action: { name: 'edit' }, resource: { type: 'jobs', id: 'job-1', properties: {} } }
    const askB = async (): Promise<boolean> => (await expectOk('ask B', call('POST', `${b.base}/access/v1/evaluation`, auth, question))).decision as boolean
    if (await askB()) throw new Error('B allows the edit before any change: the set-up is wrong')

    const afterCommit: number[] = []
    const afterSend: number[] = []
    const writes: number[] = []
    const polls: number[] = []
    for (let trial = 0; trial < opts.trials; trial++) {
      const allow = trial % 2 === 0
      const sent = performance.now()
      await expectOk('change the role on A', call('PUT', `${a.base}/v1/tenants/${TENANT}/roles/employee`, auth, { modules: { jobs: { access: 'all', level: allow ? 'management' : 'limited' } } }))
      const committed = performance.now()
      let asked = 0
      for (;;) {
        asked++
        if (await askB() === allow) break
        if (performance.now() - committed > TRIAL_TIMEOUT_MS) throw new Error(`trial ${trial}: B did not change its decision within ${TRIAL_TIMEOUT_MS} ms`)
      }
      const seen = performance.now()
      afterCommit.push(seen - committed)
      afterSend.push(seen - sent)
      writes.push(committed - sent)
      polls.push(asked)
      if ((trial + 1) % 50 === 0) opts.log(`  propagation: ${trial + 1} of ${opts.trials} trials`)
    }
    const version = await (async () => {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      try { return (await client.query<{ v: string }>('select version() as v')).rows[0]?.v.split(' ').slice(0, 2).join(' ') ?? 'unknown' } finally { await client.end() }
    })()
    const afterCommitMs = percentiles(afterCommit)
    return {
      trials: opts.trials,
      postgres: version,
      afterCommitMs,
      afterSendMs: percentiles(afterSend),
      writeMs: percentiles(writes),
      medianPolls: percentiles(polls).p50,
      target: 'p99 under 100 ms',
      targetMet: afterCommitMs.p99 < 100
    }
  } finally {
    for (const r of replicas) await r.process.stop()
    await database.drop()
  }
}

export function formatPropagationReport (r: PropagationBenchResult): string {
  const row = (name: string, p: Percentiles): string[] => [name, sig(p.p50), sig(p.p90), sig(p.p99), sig(p.max)]
  return [
    `Propagation: two replicas on ${r.postgres}, ${int(r.trials)} role changes on A, each until B's decision changed (B asked ${int(r.medianPolls)} times per trial, median)`,
    '',
    table(['ms', 'p50', 'p90', 'p99', 'max'], [
      row('B changed, after A answered the write', r.afterCommitMs),
      row('B changed, after the write was sent', r.afterSendMs),
      row('A answered the write', r.writeMs)
    ]),
    '',
    `Target: ${r.target}: ${r.targetMet ? 'met' : 'NOT met'} (p99 ${sig(r.afterCommitMs.p99)} ms after the commit).`
  ].join('\n')
}
