/**
 * What a refused key costs: `npx tsx test/bench/auth-cost.ts [--seconds=N]` with
 * `TEST_DATABASE_URL` (a PostgreSQL server; a fresh database is created and dropped).
 *
 * One service over PostgreSQL, listening; autocannon (10 connections, in this process)
 * sends `GET /v1/tenants/{t}` with (a) a valid `check` key (a 403 at the scope check,
 * answered from memory like the refusals), (b) a known key id with a wrong
 * secret, (c) one unknown key id again and again, (d) a new unknown key id on every
 * request. Each row prints the latency, the rate, the statuses, and how many `getKey`
 * queries reached the store per request. The failed-authentication limit is raised out
 * of the way (`authFailureLimit`), so that the rows show the key lookup itself; a last
 * row runs (c) with the default limit to show the cost of a 429. A second table times
 * `keys.authenticate` itself, 2,000 calls one after the other in this process, for (b),
 * (c) and (d): the store's round trip without HTTP and autocannon in the way.
 */
import { randomBytes } from 'node:crypto'
import autocannon from 'autocannon'
import pg from 'pg'
import { buildApp } from '../../src/http/app.js'
import type { AppConfig } from '../../src/http/app.js'
import { guardPool, openPostgresStore } from '../../src/store/connect.js'
import { countingStore } from '../service/counting-store.js'
import { createTestDatabase } from '../helpers/db.js'

const seconds = Number(process.argv.find(a => a.startsWith('--seconds='))?.split('=')[1] ?? 5)
const serverUrl = process.env.TEST_DATABASE_URL
if (serverUrl === undefined || serverUrl === '') throw new Error('set TEST_DATABASE_URL to a PostgreSQL server')

const database = await createTestDatabase(serverUrl)
const pool = new pg.Pool({ connectionString: database.url, max: 10 })
guardPool(pool)
const real = await openPostgresStore(pool, { close: async () => { await pool.end() } })

/** `limit`: the failed-authentication limit; `undefined`, out of the way. */
async function measure (limit: number | undefined): Promise<Array<Record<string, string | number>>> {
  const { store, calls } = countingStore(real)
  const rootKey = `root-${randomBytes(16).toString('hex')}`
  // `authFailureLimit` is unknown to a build without the limit, which ignores it.
  const config = { rootKey, logLevel: 'silent', publicUrl: 'https://pdp.example.com', bodyLimit: 1 << 20, pollMs: 0, authFailureLimit: limit ?? 1_000_000_000 } as AppConfig
  const app = buildApp({ store, config })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const tenant = `bench-${randomBytes(4).toString('hex')}`
  const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` })
  await app.inject({ method: 'PUT', url: `/v1/tenants/${tenant}`, headers: { ...auth(rootKey), 'content-type': 'application/json' }, payload: '{"name":"bench"}' })
  const minted = await app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/keys`, headers: { ...auth(rootKey), 'content-type': 'application/json' }, payload: '{"scopes":["check"]}' })
  const valid = minted.json().secret as string
  const wrongSecret = `${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}`
  const unknown = `gh_${randomBytes(12).toString('hex')}_${randomBytes(32).toString('base64url')}`

  const rows: Array<Record<string, string | number>> = []
  const cases: Array<[string, () => string]> = limit === undefined
    ? [['valid key (403: scope)', () => valid], ['known id, wrong secret', () => wrongSecret], ['one unknown id, repeated', () => unknown], ['a new unknown id each time', () => `gh_${randomBytes(12).toString('hex')}_${randomBytes(32).toString('base64url')}`]]
    : [['one unknown id, default limit', () => unknown]]
  for (const [name, token] of cases) {
    const before = calls.filter(c => c === 'getKey').length
    const statuses = new Map<number, number>()
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/v1/tenants/${tenant}`,
      connections: 10,
      duration: seconds,
      requests: [{ setupRequest: req => ({ ...req, headers: auth(token()) }), onResponse: (status: number) => { statuses.set(status, (statuses.get(status) ?? 0) + 1) } }]
    })
    const queries = calls.filter(c => c === 'getKey').length - before
    const total = [...statuses.values()].reduce((a, b) => a + b, 0)
    rows.push({
      case: name,
      'p50 ms': result.latency.p50,
      'mean ms': Number(result.latency.average.toFixed(2)),
      'p99 ms': result.latency.p99,
      'req/s': Math.round(result.requests.average),
      statuses: [...statuses].map(([s, n]) => `${s}×${n}`).join(' '),
      'getKey per request': Number((queries / Math.max(total, 1)).toFixed(3))
    })
  }
  if (limit === undefined) {
    for (const [name, token] of cases.slice(1)) {
      const before = calls.filter(c => c === 'getKey').length
      const start = process.hrtime.bigint()
      for (let i = 0; i < SEQUENTIAL; i++) await app.services.keys.authenticate(token())
      const us = Number(process.hrtime.bigint() - start) / 1000 / SEQUENTIAL
      sequential.push({ case: name, 'µs per authenticate': Math.round(us), 'getKey per call': (calls.filter(c => c === 'getKey').length - before) / SEQUENTIAL })
    }
  }
  await app.close()
  return rows
}

const SEQUENTIAL = 2000
const sequential: Array<Record<string, string | number>> = []

try {
  console.table([...await measure(undefined), ...await measure(20)])
  console.table(sequential)
} finally {
  await real.close().catch(() => {})
  await database.drop()
}
