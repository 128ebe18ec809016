import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api'
import type { DrizzleSnapshotJSON } from 'drizzle-kit/api'
import t from 'tap'
import { findMigrationsFolder } from '../../src/store/connect.js'
import * as schema from '../../src/store/schema/index.js'

interface SnapshotTable {
  name: string
  columns: Record<string, { name: string, primaryKey: boolean }>
  indexes: Record<string, { name: string, columns: Array<{ expression: string }> }>
  foreignKeys: Record<string, { tableTo: string, columnsFrom: string[], onDelete: string }>
  compositePrimaryKeys: Record<string, { columns: string[] }>
}

const migrations = findMigrationsFolder()
const journal = JSON.parse(await readFile(join(migrations, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ idx: number, tag: string }> }
const last = journal.entries.at(-1)
if (last === undefined) throw new Error('no migration in the journal')
const committed = JSON.parse(await readFile(join(migrations, 'meta', `${String(last.idx).padStart(4, '0')}_snapshot.json`), 'utf8')) as DrizzleSnapshotJSON
const current = generateDrizzleJson(schema, committed.id, undefined, 'snake_case')
const tables = Object.values(current.tables) as unknown as SnapshotTable[]

/** Tables that belong to no tenant. */
const GLOBAL_TABLES = new Set(['tenants', 'system_settings'])
/** Indexes that do not start with tenant_id, each with its reason. */
const INDEX_EXCEPTIONS = new Set([
  'api_keys_id_idx', // a bearer token names its key id, not its tenant
  'resources_attributes_idx' // GIN over the attributes jsonb: no leading column, tenant and module checked on its rows
])

t.test('the committed migrations match the schema (run `npm run db:generate` after a schema change)', async t => {
  const statements = await generateMigration(committed, current)
  t.same(statements, [], 'no pending schema change')
})

t.test('tenant_id is the first column of every primary key and index of a tenant-owned table', async t => {
  t.same(tables.map(x => x.name).sort(), ['acl_entries', 'api_keys', 'audit_log', 'groups', 'policies', 'resource_relations', 'resources', 'subject_aliases', 'subjects', 'system_settings', 'tenants'])
  for (const table of tables.filter(x => !GLOBAL_TABLES.has(x.name))) {
    const composite = Object.values(table.compositePrimaryKeys)
    const primaryKey = composite[0]?.columns ?? Object.values(table.columns).filter(c => c.primaryKey).map(c => c.name)
    t.equal(primaryKey[0], 'tenant_id', `${table.name}: primary key (${primaryKey.join(', ')})`)
    for (const index of Object.values(table.indexes)) {
      if (INDEX_EXCEPTIONS.has(index.name)) continue
      t.equal(index.columns[0]?.expression, 'tenant_id', `${table.name}: index ${index.name}`)
    }
  }
})

t.test('deleting a tenant deletes every row it owns (ON DELETE CASCADE)', async t => {
  for (const table of tables.filter(x => !GLOBAL_TABLES.has(x.name))) {
    const cascades = Object.values(table.foreignKeys).filter(fk => fk.onDelete === 'cascade' && fk.columnsFrom[0] === 'tenant_id')
    // subject_aliases reaches tenants through subjects, resource_relations through resources.
    const via = cascades.map(fk => fk.tableTo)
    t.ok(via.includes('tenants') || via.includes('subjects') || via.includes('resources'), `${table.name} cascades from ${via.join(', ') || 'nothing'}`)
  }
})
