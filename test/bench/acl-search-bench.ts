/**
 * Resource search where many resources carry their own ACL (issue 17, item 1): folder
 * trees in which a tenth of the resources hold an ACL and most of the others inherit
 * one, against the same search in an all-scoped module without ACLs (the baseline).
 *
 * Part 1, at scale: a million resources in module `docs` (4-ary folder trees about ten
 * levels deep; one resource in ten holds an ACL of two to four entries: a user, a group,
 * sometimes a `role:` deny, rarely `*`) and a million in module `plain` without ACLs, in a
 * throwaway PostgreSQL database (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the
 * local server), and the same shape with fewer resources in an in-memory PGlite (loading
 * a million rows there takes minutes). Loaded with set-based SQL; the ACL entry rows are
 * written by migration 0005's own backfill statement. A search is what
 * `POST /access/v1/search/resource` does below HTTP: the store's facts, the engine's
 * plan, one keyset page of 100. The first page reads the facts (the first search at a
 * tenant revision); the next page continues after it with the facts kept.
 *
 * Part 2, the user's scenario on PGlite through the services: 3,000 documents in 60
 * folders, a third of the folders with an ACL, and a write (a document edited) before
 * every search, so that every search is the first at its revision; against the same
 * documents without ACLs.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { compileBundle, planSearch } from '../../src/engine/index.js'
import type { Bundle, Subject } from '../../src/engine/model.js'
import type { QueryPlan } from '../../src/engine/plan.js'
import { createServices } from '../../src/service/index.js'
import { findMigrationsFolder, openPgliteStore, openPostgresStore } from '../../src/store/connect.js'
import type { Store } from '../../src/store/store.js'
import { createTestDatabase } from '../helpers/db.js'
import { median, sig, table } from './lib/stats.js'

export interface AclSearchBenchOptions {
  /** Resources per module on PostgreSQL. */
  resources: number
  /** Resources per module on PGlite. */
  pgliteResources: number
  /** Timed repetitions of each page (after one untimed warm-up). */
  repeats: number
  /**
   * A PostgreSQL database to keep the seeded tenant in across runs (`--keep-database=NAME`):
   * created and loaded when it does not hold `resources` rows of each module yet, else
   * searched as it is (its migrations applied first), and never dropped. Loading a million
   * rows takes minutes; this is for iterating on the search SQL.
   */
  keepDatabase?: string
  log: (line: string) => void
}

/** Milliseconds: median and 95th percentile. */
export interface Ms { median: number, p95: number }

export interface AclSearchCase {
  subject: string
  module: string
  plan: QueryPlan['kind']
  /** Ids on the first page (at most 100). */
  firstPageIds: number
  firstPageMs: Ms
  nextPageMs: Ms
}

export interface AclSearchRun {
  database: string
  resources: number
  /** Resources holding an ACL, and resources governed by one (their own or an ancestor's). */
  aclHolders: number
  governed: number
  aclEntryRows: number
  /** null: loaded by an earlier run (`keepDatabase`). */
  loadSeconds: number | null
  cases: AclSearchCase[]
}

export interface UserScenarioResult {
  documents: number
  folders: number
  foldersWithAcl: number
  /** First page after a write, per subject, with the folder ACLs and without any. */
  rows: Array<{ subject: string, withAclsMs: Ms, withoutAclsMs: Ms }>
}

export interface AclSearchBenchResult {
  runs: AclSearchRun[]
  scenario: UserScenarioResult
  target: string
  targetMet: boolean
}

const TENANT = 'bench'
const PAGE = 100
const USERS = 1000
const GROUPS = 100
const PROJECTS = 500
/** Target (issue 17): every first page under this, on PostgreSQL. */
const TARGET_MS = 50

const bundle: Bundle = {
  version: 1,
  modules: {
    docs: { relations: ['assignee'], assigned: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } } },
    plain: { relations: ['assignee'], assigned: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } } }
  },
  roles: {
    manager: { modules: { docs: { access: 'all', level: 'full' }, plain: { access: 'all', level: 'full' } } },
    employee: { modules: { docs: { access: 'assigned', level: 'limited' }, plain: { access: 'assigned', level: 'limited' } } },
    observer: { modules: { docs: { access: 'all', level: 'limited' }, plain: { access: 'all', level: 'limited' } } }
  }
} as unknown as Bundle

const SUBJECTS: Array<{ name: string, module: string, subject: Subject }> = [
  { name: 'all-scoped (manager), no ACLs: the baseline', module: 'plain', subject: { id: 'boss', roles: ['manager'] } },
  { name: 'all-scoped (manager)', module: 'docs', subject: { id: 'boss', roles: ['manager'] } },
  { name: 'all-scoped, denied by a third of the ACLs (observer)', module: 'docs', subject: { id: 'obs', roles: ['observer'] } },
  // ACL holders are the resources i with i % 10 = 3; their entries name user u-(i % 1000) and group g-(i % 100).
  { name: 'assigned-scoped, in a group (employee)', module: 'docs', subject: { id: 'u-13', roles: ['employee'], groups: ['g-23'] } },
  { name: 'ACL entries only (no role)', module: 'docs', subject: { id: 'u-43', roles: [], groups: ['g-33'] } },
  { name: 'named in no entry (no role): `*` entries only', module: 'docs', subject: { id: 'nobody', roles: [] } }
]

export type Query = (text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>

/** The backfill statement of migration 0005: the ACL entry rows of every stored ACL, as the store writes them. */
export function aclBackfill (): string {
  const text = readFileSync(join(findMigrationsFolder(), '0005_acl_entries.sql'), 'utf8')
  const last = text.split('--> statement-breakpoint').at(-1)
  if (last === undefined || !last.includes('INSERT INTO "acl_entries"')) throw new Error('migration 0005 no longer ends with the ACL entries backfill')
  return last
}

/**
 * `n` resources in each of `docs` (folder trees with ACLs) and `plain` (the same rows,
 * no ACL). Resource i's parent is (i - 1) / 4: one 4-ary tree, about ten levels deep,
 * whose ids are not in tree order. The derived columns are written as the store derives
 * them: `acl_holder` is the nearest resource holding an ACL on the way to the root.
 */
export async function load (query: Query, n: number, log: (step: string) => void): Promise<void> {
  let t0 = performance.now()
  const step = async (what: string, text: string, params?: unknown[]): Promise<void> => {
    await query(text, params)
    log(`${what} in ${sig((performance.now() - t0) / 1000)} s`)
    t0 = performance.now()
  }
  await query(`
    create function bench_acl_holder (i int) returns int language plpgsql immutable as $$
    declare x int := i;
    begin
      loop
        if x % 10 = 3 then return x; end if;
        if x = 0 then return null; end if;
        x := (x - 1) / 4;
      end loop;
    end $$`)
  const id = (e: string): string => `'r-' || lpad((${e})::text, 7, '0')`
  for (const module of ['docs', 'plain']) {
    const acl = module === 'docs'
      ? `case when i % 10 = 3 then
           jsonb_build_array(
             jsonb_build_object('who', 'u-' || (i % ${USERS}), 'allow', jsonb_build_array('view', 'edit')),
             jsonb_build_object('who', 'group:g-' || (i % ${GROUPS}), 'allow', jsonb_build_array('view')))
           || case when i % 3 = 0 then jsonb_build_array(jsonb_build_object('who', 'role:observer', 'deny', jsonb_build_array('view'))) else '[]'::jsonb end
           || case when i % 97 = 0 then jsonb_build_array(jsonb_build_object('who', '*', 'allow', jsonb_build_array('view'))) else '[]'::jsonb end
         end`
      : 'null'
    const holder = module === 'docs' ? `(select ${id('h')} from bench_acl_holder(i) as h where h is not null)` : 'null'
    await step(`${module}: resources`, `
      insert into resources (tenant_id, module, id, project, parent, relations, acl, effective_project, acl_holder)
      select $1, $2, ${id('i')}, 'p-' || (i % ${PROJECTS}), case when i > 0 then ${id('(i - 1) / 4')} end,
             jsonb_build_object('assignee', jsonb_build_array('u-' || (i % ${USERS}))),
             ${acl}, 'p-' || (i % ${PROJECTS}), ${holder}
      from generate_series(0, $3::int - 1) as i`, [TENANT, module, n])
    // Before the rows that refer to them: the foreign key checks are planned from these statistics
    // (without them, as a scan of a table thought empty: minutes for 20,000 rows).
    await step(`${module}: analyze`, 'analyze resources')
    await step(`${module}: relation rows`, `
      insert into resource_relations (tenant_id, module, relation, value, resource_id)
      select $1, $2, 'assignee', 'u-' || (i % ${USERS}), ${id('i')} from generate_series(0, $3::int - 1) as i`, [TENANT, module, n])
  }
  await step('ACL entry rows (migration 0005\'s backfill)', aclBackfill())
  await query('drop function bench_acl_holder (int)')
  // As autovacuum would leave them: statistics, and visibility maps for index-only scans.
  await step('vacuum analyze', 'vacuum analyze resources, resource_relations, acl_entries')
}

/** A first page's median beside the target. */
function againstTarget (ms: Ms): string {
  return `${ms.median < TARGET_MS ? 'under' : 'OVER'} the ${TARGET_MS} ms target`
}

function p95 (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? Number.NaN
}

/** `fn` once untimed, then `repeats` times timed, each time after `before` (untimed). */
async function timed (repeats: number, fn: () => Promise<unknown>, before?: () => Promise<unknown>): Promise<Ms> {
  await fn()
  const samples: number[] = []
  for (let i = 0; i < repeats; i++) {
    await before?.()
    const t0 = performance.now()
    await fn()
    samples.push(performance.now() - t0)
  }
  return { median: median(samples), p95: p95(samples) }
}

async function count (query: Query, text: string): Promise<number> {
  const { rows } = await query(text, [TENANT])
  return Number((rows[0] as { n: number | string }).n)
}

/** Loads the tenant into `store`'s database (through `query`) and times each subject's pages. */
async function runOn (database: string, store: Store, query: Query, n: number, opts: AclSearchBenchOptions): Promise<AclSearchRun> {
  const compiled = compileBundle(bundle)
  if (!compiled.ok) throw new Error(`benchmark bundle invalid: ${JSON.stringify(compiled.issues)}`)
  const policy = compiled.policy
  const loaded = await count(query, "select count(*) as n from resources where tenant_id = $1 and module = 'plain'")
  let loadSeconds: number | null = null
  if (loaded === n) {
    opts.log(`acl-search (${database}): ${n.toLocaleString('en-US')} resources per module already loaded (kept database)`)
  } else if (loaded !== 0) {
    throw new Error(`the kept database holds ${loaded} resources per module, not ${n}: drop it or pass --resources=${loaded}`)
  } else {
    await store.putTenant(TENANT, { name: 'ACL search benchmark' })
    await store.putPolicy(TENANT, bundle)
    opts.log(`acl-search (${database}): loading ${n.toLocaleString('en-US')} resources into each of 2 modules...`)
    const started = performance.now()
    await load(query, n, what => opts.log(`acl-search (${database}): ${what}`))
    loadSeconds = (performance.now() - started) / 1000
    opts.log(`acl-search (${database}): loaded in ${sig(loadSeconds)} s`)
  }
  const cases: AclSearchCase[] = []
  for (const { name, module, subject } of SUBJECTS) {
    const first = async (): Promise<{ ids: string[], plan: QueryPlan }> => {
      const facts = await store.getSearchFacts(TENANT, module)
      const plan = planSearch(policy, subject, 'view', module, facts)
      return { ids: (await store.listResources(TENANT, module, plan, { limit: PAGE })).ids, plan }
    }
    const { ids, plan } = await first()
    const facts = await store.getSearchFacts(TENANT, module)
    const after = ids.at(-1)
    const next = async (): Promise<void> => {
      const kept = planSearch(policy, subject, 'view', module, facts)
      await store.listResources(TENANT, module, kept, after === undefined ? { limit: PAGE } : { limit: PAGE, after })
    }
    const row: AclSearchCase = {
      subject: name,
      module,
      plan: plan.kind,
      firstPageIds: ids.length,
      firstPageMs: await timed(opts.repeats, first),
      nextPageMs: await timed(opts.repeats, next)
    }
    opts.log(`acl-search (${database}): ${name}: first page ${sig(row.firstPageMs.median)} ms (${againstTarget(row.firstPageMs)}), next page ${sig(row.nextPageMs.median)} ms (${row.firstPageIds} ids)`)
    cases.push(row)
  }
  return {
    database,
    resources: n,
    aclHolders: await count(query, "select count(*) as n from resources where tenant_id = $1 and module = 'docs' and acl is not null"),
    governed: await count(query, "select count(*) as n from resources where tenant_id = $1 and module = 'docs' and acl_holder is not null"),
    aclEntryRows: await count(query, 'select count(*) as n from acl_entries where tenant_id = $1'),
    loadSeconds,
    cases
  }
}

/** The database `name` on the server, created when missing; `drop` leaves it. */
async function keptDatabase (server: string, name: string): Promise<{ url: string, drop: () => Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`--keep-database: \`${name}\` is not a plain lower-case database name`)
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name])
    if (exists.rowCount === 0) await admin.query(`create database "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(server)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: async () => {} }
}

async function runPostgres (opts: AclSearchBenchOptions): Promise<AclSearchRun> {
  const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const database = opts.keepDatabase === undefined ? await createTestDatabase(server) : await keptDatabase(server, opts.keepDatabase)
  const pool = new pg.Pool({ connectionString: database.url, max: 4 })
  try {
    const store = await openPostgresStore(pool, { close: async () => {} })
    const version = (await pool.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? '?'
    return await runOn(`PostgreSQL ${version}`, store, async (text, params) => await pool.query(text, params), opts.resources, opts)
  } finally {
    await pool.end()
    await database.drop()
  }
}

async function runPglite (opts: AclSearchBenchOptions): Promise<AclSearchRun> {
  const client = await PGlite.create()
  try {
    const store = await openPgliteStore(client, { close: async () => {} })
    return await runOn('PGlite (in memory)', store, async (text, params) => await client.query(text, params), opts.pgliteResources, opts)
  } finally {
    await client.close()
  }
}

/**
 * The user's scenario through the services on PGlite: `folders` folders, one in three
 * with an ACL naming a user and a group, `documents` documents spread over them, and a
 * document edited before each timed search.
 */
export async function runScenario (opts: AclSearchBenchOptions, documents: number, folders: number): Promise<UserScenarioResult> {
  const subjects: Array<{ name: string, id: string }> = [
    { name: 'all-scoped (manager)', id: 'boss' },
    { name: 'assigned-scoped (employee)', id: 'u-3' }
  ]
  const measure = async (withAcls: boolean): Promise<Ms[]> => {
    const client = await PGlite.create()
    const store = await openPgliteStore(client, { close: async () => { await client.close() } })
    const services = createServices({ store, rootKey: undefined })
    try {
      await services.admin.putTenant(TENANT, {})
      await services.admin.putPolicy(TENANT, bundle)
      await services.admin.putSubject(TENANT, 'boss', { roles: ['manager'] })
      await services.admin.putSubject(TENANT, 'u-3', { roles: ['employee'], groups: ['g-1'] })
      for (let f = 0; f < folders; f++) {
        const acl = withAcls && f % 3 === 0 ? { acl: [{ who: `u-${f % 10}`, allow: ['view', 'edit'] }, { who: `group:g-${f % 4}`, allow: ['view'] }] } : {}
        await services.admin.putResource(TENANT, 'docs', `folder-${String(f).padStart(3, '0')}`, { assignee: `u-${f % 10}`, ...acl })
      }
      for (let d = 0; d < documents; d++) {
        await services.admin.putResource(TENANT, 'docs', `doc-${String(d).padStart(5, '0')}`, { parent: `folder-${String(d % folders).padStart(3, '0')}`, assignee: `u-${d % 10}` })
      }
      let edits = 0
      const out: Ms[] = []
      for (const { id } of subjects) {
        const search = async (): Promise<unknown> =>
          await services.search.resources(TENANT, { subject: { type: 'user', id }, action: { name: 'view' }, resource: { type: 'docs' }, page: { limit: PAGE } })
        // A write between searches, as in an app where writes never stop: every search is the first at its revision.
        const edit = async (): Promise<unknown> => {
          edits++
          return await services.admin.putResource(TENANT, 'docs', `doc-${String(edits % documents).padStart(5, '0')}`, { parent: `folder-${String(edits % folders).padStart(3, '0')}`, assignee: `u-${edits % 10}` })
        }
        out.push(await timed(opts.repeats, search, edit))
      }
      return out
    } finally {
      await store.close()
    }
  }
  opts.log(`acl-search: the user's scenario on PGlite (${documents} documents in ${folders} folders)...`)
  const withAcls = await measure(true)
  const without = await measure(false)
  return {
    documents,
    folders,
    foldersWithAcl: Math.ceil(folders / 3),
    rows: subjects.map((s, i) => ({ subject: s.name, withAclsMs: withAcls[i] as Ms, withoutAclsMs: without[i] as Ms }))
  }
}

export async function runAclSearchBench (opts: AclSearchBenchOptions & { scenario: { documents: number, folders: number } }): Promise<AclSearchBenchResult> {
  const runs = [await runPostgres(opts), await runPglite(opts)]
  const scenario = await runScenario(opts, opts.scenario.documents, opts.scenario.folders)
  const postgres = runs[0] as AclSearchRun
  return {
    runs,
    scenario,
    target: `every first page under ${TARGET_MS} ms over ${postgres.resources.toLocaleString('en-US')} resources with 10 % holding an ACL, on PostgreSQL; PGlite the same order`,
    targetMet: postgres.cases.every(c => c.firstPageMs.median < TARGET_MS)
  }
}

export function formatAclSearchReport (r: AclSearchBenchResult): string {
  const ms = (p: Ms): string => `${sig(p.median)} / ${sig(p.p95)}`
  const out: string[] = []
  for (const run of r.runs) {
    const baseline = run.cases.find(c => c.module === 'plain')
    out.push(
      `search/resource with folder ACLs on ${run.database}: ${run.resources.toLocaleString('en-US')} resources per module (docs: ${run.aclHolders.toLocaleString('en-US')} hold an ACL, ` +
      `${run.governed.toLocaleString('en-US')} governed by one, ${run.aclEntryRows.toLocaleString('en-US')} ACL entry rows; ${run.loadSeconds === null ? 'loaded by an earlier run' : `loaded in ${sig(run.loadSeconds)} s`}); pages of ${PAGE}, ms median / p95`,
      table(['subject', 'module', 'plan', 'first page', 'next page', 'first page / baseline', `first page (median) against ${TARGET_MS} ms`], run.cases.map(c => [
        c.subject, c.module, c.plan, ms(c.firstPageMs), ms(c.nextPageMs),
        baseline === undefined ? '' : `${sig(c.firstPageMs.median / baseline.firstPageMs.median)}x`, againstTarget(c.firstPageMs)
      ]))
    )
  }
  const s = r.scenario
  out.push(
    `the user's scenario on PGlite, through the services: ${s.documents.toLocaleString('en-US')} documents in ${s.folders} folders, ${s.foldersWithAcl} with an ACL, a document edited before each search (not timed); ms median / p95`,
    table(['subject', 'first page with folder ACLs', 'without ACLs', 'ratio'], s.rows.map(row => [
      row.subject, ms(row.withAclsMs), ms(row.withoutAclsMs), `${sig(row.withAclsMs.median / row.withoutAclsMs.median)}x`
    ])),
    `target ${r.target}: ${r.targetMet ? 'met' : 'MISSED'}`
  )
  return out.join('\n')
}
