/**
 * Migrations 0001 (search indexes) and 0005 (ACL entries) on a database that already
 * holds resources: their hand-written backfills must index relation values, derive the
 * effective project and governing ACL, and write the ACL entry rows exactly as the store
 * does on writes (ADR 0002). Runs on PGlite and on PostgreSQL: the database is migrated
 * to 0000 only, filled, then to the last migration.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import t from 'tap'
import type { Test } from 'tap'
import type { Filter, ResourceFacts } from '../../src/engine/index.js'
import { MAX_ANCESTOR_DEPTH } from '../../src/engine/index.js'
import { findMigrationsFolder, migratePglite, migratePostgres, openPgliteStore, openPostgresStore } from '../../src/store/connect.js'
import type { Store } from '../../src/store/store.js'
import { createTestDatabase, postgresServer, testPool } from '../helpers/db.js'
import { searchFactsOf, sortedFacts } from '../search/oracle.js'

const migrations = findMigrationsFolder()

/** A copy of the migrations folder holding only the first migration. */
async function firstMigrationOnly (): Promise<{ folder: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-migrations-'))
  await cp(migrations, dir, { recursive: true })
  const journalPath = join(dir, 'meta', '_journal.json')
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: Array<{ tag: string }> }
  t.equal(journal.entries[0]?.tag, '0000_init')
  journal.entries = journal.entries.slice(0, 1)
  await writeFile(journalPath, JSON.stringify(journal))
  return { folder: dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

const chain = Array.from({ length: MAX_ANCESTOR_DEPTH + 2 }, (_, i): ResourceFacts => {
  const r: ResourceFacts = { module: 'docs', id: `n${String(i).padStart(2, '0')}`, relations: {} }
  if (i === 0) { r.project = 'root'; r.acl = [{ who: '*', allow: ['view'] }] } else r.parent = `n${String(i - 1).padStart(2, '0')}`
  return r
})

/** Resources as 0000 stored them; relation values include a repeat, a number and a bare string, which decisions ignore. */
const OLD: ResourceFacts[] = [
  { module: 'jobs', id: 'a', project: 'p1', relations: { assignee: ['u1', 5, 'u1'], creator: 'u2' } as unknown as Record<string, string[]> },
  { module: 'jobs', id: 'b', parent: 'a', relations: { assignee: ['group:crew'] }, acl: [] },
  { module: 'jobs', id: 'c', parent: 'b', project: 'p2', relations: {} },
  { module: 'jobs', id: 'x', parent: 'y', relations: {}, acl: [{ who: 'u1', allow: ['view'] }] },
  { module: 'jobs', id: 'y', parent: 'x', project: 'p3', relations: {} },
  { module: 'jobs', id: 'orphan', parent: 'gone', relations: { creator: ['u2'] } },
  // Every shape an ACL entry may have been stored with, matchable or not.
  {
    module: 'jobs',
    id: 'rich',
    relations: {},
    acl: [
      { who: 'u1', allow: ['view', 'edit', 'view'], deny: ['delete'] },
      { who: 'group:crew', allow: ['view'], when: 'context.x == 1' },
      null, { who: 5, allow: ['view'] }, { who: 'u2', allow: 'view' },
      { who: 'u3', allow: ['view', 7], when: 3 }, { who: 'u4', allow: ['view'], when: null },
      { who: 'role:r', deny: ['view'] }
    ] as unknown as ResourceFacts['acl']
  },
  ...chain
]

type Query = (text: string, params: unknown[]) => Promise<unknown>

async function fill (query: Query): Promise<void> {
  await query('insert into tenants (id, name) values ($1, $2)', ['t1', 'T'])
  for (const r of OLD) {
    await query('insert into resources (tenant_id, module, id, project, parent, relations, acl) values ($1, $2, $3, $4, $5, $6, $7)',
      ['t1', r.module, r.id, r.project ?? null, r.parent ?? null, JSON.stringify(r.relations), r.acl === undefined ? null : JSON.stringify(r.acl)])
  }
}

/** The `acl_entries` rows of tenant `tenantId`, in one order, without the tenant. */
async function aclRows (query: Query, tenantId: string): Promise<unknown[]> {
  const result = await query(
    'select module, holder_id, position, effect, action, who, "when" from acl_entries where tenant_id = $1 order by module, holder_id, position, effect, action',
    [tenantId]) as { rows: unknown[] }
  return result.rows
}

async function check (t: Test, store: Store, query: Query): Promise<void> {
  // The same resources written through the store, in another tenant: the rows the store writes.
  await store.putTenant('t2', { name: 'T2' })
  for (const r of OLD) await store.putResource('t2', r)
  const migrated = await aclRows(query, 't1')
  t.same(migrated, await aclRows(query, 't2'), 'the migration writes the ACL entry rows the store writes')
  t.equal(migrated.length, 7, 'one per (entry, effect, action) the engine can match')
  for (const module of ['jobs', 'docs']) {
    const resources = OLD.filter(r => r.module === module)
    t.same(sortedFacts(await store.getSearchFacts('t1', module)), sortedFacts(searchFactsOf(resources)), `${module}: ACL facts as the ancestor walk implies`)
  }
  const list = async (filter: Filter): Promise<string[]> =>
    (await store.listResources('t1', 'jobs', { kind: 'conditional', filter }, { limit: 100 })).ids
  t.same(await list({ op: 'project_in', values: ['p1'] }), ['a', 'b'], 'effective projects')
  t.same(await list({ op: 'project_in', values: ['p3'] }), ['x', 'y'], 'through a cycle')
  t.same(await list({ op: 'relation_contains_any', relation: 'assignee', values: ['u1', 'group:crew'] }), ['a', 'b'], 'relation values')
  t.same(await list({ op: 'relation_contains_any', relation: 'creator', values: ['u2'] }), ['orphan'], 'a bare string is not a list of values')
  t.same(await list({ op: 'relation_contains_any', relation: 'assignee', values: ['5'] }), [], 'a number is not a value')
  const deep = await store.listResources('t1', 'docs', { kind: 'conditional', filter: { op: 'project_in', values: ['root'] } }, { limit: 100 })
  t.same(deep.ids, chain.slice(0, MAX_ANCESTOR_DEPTH + 1).map(r => r.id), `projects reach ${MAX_ANCESTOR_DEPTH} links down`)
  t.same(await list({ op: 'acl_allows', action: 'view', who: ['u1'] }), ['rich', 'x', 'y'], 'carried ACLs allow through the entries table')
  t.same(await list({ op: 'acl_allows', action: 'view', who: ['u1', 'role:r'] }), ['x', 'y'], 'and deny')
  t.same(await list({ op: 'acl_allows', action: 'view', who: ['group:crew'], when: ['context.x == 1'] }), ['rich'], 'with their conditions')
  t.same(await list({ op: 'acl_governed' }), ['b', 'c', 'rich', 'x', 'y'])
}

t.test('the backfill on PGlite', async t => {
  const first = await firstMigrationOnly()
  t.teardown(first.remove)
  const client = await PGlite.create()
  t.teardown(() => client.close())
  await migratePglite(client, first.folder)
  await fill((text, params) => client.query(text, params))
  await migratePglite(client, migrations)
  await check(t, await openPgliteStore(client, { migrate: false, close: async () => {} }), (text, params) => client.query(text, params))
})

const server = await postgresServer()

t.test('the backfill on PostgreSQL', { skip: server.skip }, async t => {
  const first = await firstMigrationOnly()
  t.teardown(first.remove)
  const database = await createTestDatabase(await server.url())
  const pool = testPool(database.url, 2)
  t.teardown(async () => {
    await pool.end()
    await database.drop()
  })
  await migratePostgres(pool, first.folder)
  await fill((text, params) => pool.query(text, params))
  await migratePostgres(pool, migrations)
  await check(t, await openPostgresStore(pool, { migrate: false, close: async () => {} }), (text, params) => pool.query(text, params))
})
