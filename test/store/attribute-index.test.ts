/**
 * The index of attribute conditions (migration 0006, issue 14) on both backends: it
 * exists as the migration says; the store's candidates for an attribute equality, `in`
 * and list `contains` are read through it (EXPLAIN, with sequential scans off in the
 * transaction so that a small table cannot pass by a scan, and not by the primary key's
 * tenant-and-module range either); and a store search that reaches its candidates reads
 * it (the index's own scan counter moves), returning exactly the ids the engine's
 * `matchesPlan` selects, the other tenant's equal attributes left out. And an `and`
 * prefers any other leaf's candidates to an attribute's.
 */
import { PgDialect } from 'drizzle-orm/pg-core'
import t from 'tap'
import type { Test } from 'tap'
import type { Bundle, Filter, QueryPlan } from '../../src/engine/index.js'
import { matchesPlan } from '../../src/engine/index.js'
import { openPgliteStore, openPostgresStore } from '../../src/store/connect.js'
import { candidatesOf } from '../../src/store/pg-store.js'
import type { Store } from '../../src/store/store.js'
import { eventually } from '../helpers/eventually.js'
import { acquirePglite, createTestDatabase, postgresServer, testPool } from '../helpers/db.js'

const ROWS = 3000
const STATUSES = ['open', 'closed', 'sent', 'paid']
const TAGS = ['gas', 'water', 'power']

/** What the test needs of a database: a query, and one transaction's queries. */
interface Db {
  query: <R>(text: string, params?: unknown[]) => Promise<R[]>
  inTransaction: <R>(queries: (query: Db['query']) => Promise<R>) => Promise<R>
}

const bundle: Bundle = {
  version: 1,
  modules: {
    invoices: {
      attributes: { status: { enum: [...STATUSES, 'locked', 'disputed'] }, amount: 'number', tags: ['string'] },
      actions: { view: { level: 'limited' } }
    }
  },
  roles: {}
} as unknown as Bundle

/** Attributes of the i-th invoice: one in 500 locked, one in 700 disputed, one in 300 tagged `urgent`. */
function attributesOf (i: number): Record<string, unknown> {
  const status = i % 500 === 7 ? 'locked' : i % 700 === 3 ? 'disputed' : STATUSES[i % STATUSES.length]
  const tags = i % 300 === 11 ? ['urgent', TAGS[i % 3]] : [TAGS[i % 3]]
  return { status, amount: i % 1000, tags }
}

const LEAVES: Array<[string, Filter]> = [
  ['eq', { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'eq', value: 'locked' }],
  ['in', { op: 'attribute_in', attribute: 'status', type: 'enum', values: ['locked', 'disputed'] }],
  ['number eq', { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'eq', value: 7 }],
  ['contains', { op: 'attribute_contains', attribute: 'tags', value: 'urgent' }]
]

async function exercise (t: Test, db: Db, open: (window: number) => Promise<Store>): Promise<void> {
  // A window of 10 rows, so that the searches go to their candidates.
  const store = await open(10)
  t.teardown(() => store.close())
  const [index] = await db.query<{ indexdef: string }>("select indexdef from pg_indexes where indexname = 'resources_attributes_idx'")
  t.match(index?.indexdef, /ON public\.resources USING gin \(attributes jsonb_path_ops\) WITH \(fastupdate='?(off|false)'?\)/, 'the index exists, as migration 0006 makes it')
  for (const tenant of ['acme', 'other']) {
    await store.putTenant(tenant, { name: tenant })
    await store.putPolicy(tenant, bundle)
  }
  // Set-based, as the search benchmark loads (no parents, so the derived columns stay NULL).
  for (const tenant of ['acme', 'other']) {
    const rows = Array.from({ length: ROWS }, (_, i) => JSON.stringify(attributesOf(i)))
    await db.query(`insert into resources (tenant_id, module, id, relations, attributes)
      select $1, 'invoices', 'inv-' || lpad((a.n - 1)::text, 5, '0'), '{}'::jsonb, a.attributes::jsonb
      from unnest($2::text[]) with ordinality as a (attributes, n)`, [tenant, rows])
  }
  await db.query('analyze resources')
  const resources = Array.from({ length: ROWS }, (_, i) => ({ id: `inv-${String(i).padStart(5, '0')}`, relations: {}, attributes: attributesOf(i) as never }))

  for (const [name, filter] of LEAVES) {
    const [source, ...others] = candidatesOf(filter, 'acme', 'invoices') ?? []
    if (source === undefined || others.length > 0) throw new Error(`not one source of candidates for ${name}`)
    // A step of the candidate walk: the first 100 candidates in id order.
    const query = new PgDialect().sqlToQuery(source.ids(undefined, 100))
    const plan = await db.inTransaction(async q => {
      await q('SET LOCAL enable_seqscan = off')
      return (await q<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.params))[0]?.['QUERY PLAN']
    })
    t.match(JSON.stringify(plan), /"Index Name":"resources_attributes_idx"/, `${name}: the candidates are read through the index`)
    t.notMatch(JSON.stringify(plan), /resources_pkey|Seq Scan/, `${name}: not by a scan`)

    const searched: QueryPlan = { kind: 'conditional', filter }
    const before = await indexScans(db)
    const ids: string[] = []
    for (let after: string | undefined, more = true; more;) {
      const page = await store.listResources('acme', 'invoices', searched, after === undefined ? { limit: 100 } : { limit: 100, after })
      ids.push(...page.ids)
      more = page.hasMore
      after = page.ids.at(-1)
    }
    t.same(ids, resources.filter(r => matchesPlan(searched, r)).map(r => r.id), `${name}: the search returns what the engine selects, the other tenant's left out`)
    t.ok(ids.length >= 3, `${name}: ${ids.length} matches`)
    t.ok(await eventually(async () => await indexScans(db) > before), `${name}: the store's search read the index`)
  }
}

/** The index's scans so far (flushed: each backend reports its counts when idle, at most once a second). */
async function indexScans (db: Db): Promise<number> {
  const [row] = await db.query<{ n: string }>("select pg_stat_clear_snapshot(), coalesce((select idx_scan from pg_stat_user_indexes where indexrelname = 'resources_attributes_idx'), 0)::text as n")
  return Number(row?.n)
}

t.test('an `and` reads the candidates of a relation, a project or ids before those of an attribute', async t => {
  const dialect = new PgDialect()
  const status: Filter = { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'eq', value: 'open' }
  const sqlOf = (filter: Filter): string => {
    const found = candidatesOf(filter, 'acme', 'invoices')
    return found === undefined ? 'none' : found.map(source => dialect.sqlToQuery(source.ids(undefined, 100)).sql).join(' UNION ')
  }
  t.match(sqlOf({ op: 'and', args: [status, { op: 'relation_contains_any', relation: 'assignee', values: ['u1'] }] }), /FROM resource_relations/)
  t.match(sqlOf({ op: 'and', args: [status, { op: 'project_in', values: ['p1'] }] }), /effective_project/)
  t.match(sqlOf({ op: 'and', args: [{ op: 'attribute_exists', attribute: 'status' }, status] }), /attributes @> ANY/, 'an attribute\'s when nothing else has any')
  t.equal(sqlOf({ op: 'and', args: [{ op: 'attribute_exists', attribute: 'status' }, { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'ge', value: 5 }] }), 'none')
})

t.test('PGlite', async t => {
  // The file's PGlite, from the migrated template, and migration 0006 if the template predates it.
  const { client, release } = await acquirePglite()
  t.teardown(release)
  const db: Db = {
    query: async <R>(text: string, params: unknown[] = []) => (await client.query<R>(text, params)).rows,
    inTransaction: async (queries) => await client.transaction(async tx => await queries(async <R>(text: string, params: unknown[] = []) => (await tx.query<R>(text, params)).rows))
  }
  await exercise(t, db, async window => await openPgliteStore(client, { migrate: false, searchScanWindow: window, close: async () => {} }))
})

const server = await postgresServer()

t.test('PostgreSQL', { skip: server.skip }, async t => {
  const database = await createTestDatabase(await server.url())
  const pool = testPool(database.url, 4)
  t.teardown(async () => {
    await pool.end()
    await database.drop()
  })
  const db: Db = {
    query: async <R>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as R[],
    async inTransaction (queries) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        return await queries(async <R>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as R[])
      } finally {
        await client.query('ROLLBACK')
        client.release()
      }
    }
  }
  await exercise(t, db, async window => await openPostgresStore(pool, { searchScanWindow: window, close: async () => {} }))
})
