/**
 * listAllowed at scale (issue 3): 1,000,000 stored resources of one module for one tenant
 * on PostgreSQL, and the time to answer the first page of 100 and a page deep in the
 * result, for subjects whose plans take each path of the store: `always` (access `all`),
 * an `assigned` subject (relation lookups), a project-role subject (`project_in`), and an
 * `assigned` subject in a module where some resources are governed by folder ACLs (id
 * lists mixed with relation tests), and subjects whose conditions filter on attributes
 * (an equality, an `in`, a range), timed with the attribute index (migration 0006) and
 * again after dropping it, in the same run.
 *
 * A search is what `POST /access/v1/search/resource` does below HTTP: the store's ACL
 * facts, the engine's plan, then one keyset page from the store. Each page is timed twice:
 * with the ACL facts read from the store (the first search at a tenant revision) and with
 * the facts the service keeps for that revision (`SearchFactsCache`: the next pages, and
 * other searches, until the tenant's next write). The database is a throwaway one created
 * on BENCH_DATABASE_URL (else TEST_DATABASE_URL, else the local server) and dropped at
 * the end.
 */
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { compileBundle, planSearch } from '../../src/engine/index.js'
import type { Bundle, Subject } from '../../src/engine/model.js'
import type { QueryPlan, SearchFacts } from '../../src/engine/plan.js'
import { DEFAULT_SEARCH_FACTS_MB, SearchFactsCache } from '../../src/service/search-facts-cache.js'
import { openStore } from '../../src/store/connect.js'
import type { Store } from '../../src/store/store.js'
import { createTestDatabase } from '../helpers/db.js'
import { aclBackfill } from './acl-search-bench.js'
import { median, sig, table } from './lib/stats.js'

export interface SearchBenchOptions {
  resources: number
  /** Timed repetitions of each query (after one untimed warm-up). */
  repeats: number
  log: (line: string) => void
}

/** Milliseconds per page: median and 95th percentile. */
export interface PageMs { median: number, p95: number }

export interface SearchCase {
  name: string
  plan: QueryPlan['kind']
  /** Ids the subject may see in all (counted by paging the plan to the end once, or by SQL for `always`). */
  matches: number
  /** The ACL facts read from the store for the page. */
  firstPageMs: PageMs
  deepPageMs: PageMs
  /** The ACL facts kept for the tenant's revision (the service's `SearchFactsCache`). */
  firstPageKeptMs: PageMs
  deepPageKeptMs: PageMs
  /** How deep the deep page starts (the number of allowed ids before it). */
  deepOffset: number
}

export interface AttributeCase {
  name: string
  matches: number
  /** The first page (facts read, plan, page), ms: resources_attributes_idx present, and dropped. */
  withIndexMs: PageMs
  withoutIndexMs: PageMs
}

export interface SearchBenchResult {
  resources: number
  loadSeconds: number
  /** Building resources_attributes_idx over the loaded resources (what migration 0006 takes on such a database). */
  indexBuildSeconds: number
  indexMb: number
  /** First pages of the attribute searches, with the index and without it, from the same run. */
  attributeCases: AttributeCase[]
  /** The store's putResource of an invoice with attributes, with and without the index. */
  writeWithIndexMs: PageMs
  writeWithoutIndexMs: PageMs
  postgres: string
  cases: SearchCase[]
  target: string
  targetMet: boolean
}

const TENANT = 'bench'
const PAGE = 100
const USERS = 1000
const PROJECTS = 500
/** One resource in this many sits in a folder governed by an ACL (module `docs` only). */
const ACL_EVERY = 50

const bundle: Bundle = {
  version: 1,
  modules: {
    jobs: {
      relations: ['assignee', 'creator'],
      assigned: ['assignee', 'creator'],
      actions: { view: { level: 'limited' }, edit: { level: 'management' } }
    },
    docs: {
      relations: ['assignee'],
      assigned: ['assignee'],
      actions: { view: { level: 'limited' } }
    },
    invoices: {
      attributes: { status: { enum: ['open', 'sent', 'paid', 'locked', 'disputed'] }, amount: 'number' },
      actions: { view: { level: 'limited' } }
    }
  },
  roles: {
    employee: { modules: { jobs: { access: 'assigned', level: 'limited' }, docs: { access: 'assigned', level: 'limited' } } },
    manager: { modules: { jobs: { access: 'all', level: 'full' } } },
    foreman: { modules: { jobs: { access: 'all', level: 'management' } } },
    // Conditions on data (issue 14): an equality, an `in`, a range.
    auditor: { modules: { invoices: { access: 'all', level: 'limited', when: { view: "resource.status == 'locked'" } } } },
    collector: { modules: { invoices: { access: 'all', level: 'limited', when: { view: "resource.status in ['locked', 'disputed']" } } } },
    controller: { modules: { invoices: { access: 'all', level: 'limited', when: { view: 'resource.amount >= 9990.0' } } } }
  }
} as unknown as Bundle

/** One invoice in this many is `locked`, one in DISPUTED_EVERY `disputed`; the rest open, sent or paid. */
const LOCKED_EVERY = 2000
const DISPUTED_EVERY = 5000

/** The migration's index (0006), dropped for the baseline and built again, timed. */
const ATTRIBUTE_INDEX = 'CREATE INDEX "resources_attributes_idx" ON "resources" USING gin ("attributes" jsonb_path_ops) WITH (fastupdate=false)'

/** Subjects whose plans filter on attributes, timed with the index and again without it. */
const ATTRIBUTE_SUBJECTS: Array<{ name: string, module: string, subject: Subject }> = [
  { name: 'attribute eq (auditor: status == locked)', module: 'invoices', subject: { id: 'aud', roles: ['auditor'] } },
  { name: 'attribute in (collector: status in [locked, disputed])', module: 'invoices', subject: { id: 'col', roles: ['collector'] } },
  { name: 'attribute range (controller: amount >= 9990)', module: 'invoices', subject: { id: 'ctl', roles: ['controller'] } }
]

/** Per block of the with/without comparison: first pages per attribute subject, and resource writes. */
const BLOCK_PAGES = 15
const BLOCK_WRITES = 50

function pad (i: number): string {
  return String(i).padStart(7, '0')
}

/**
 * Loads `n` resources per module with set-based SQL (the store's own write path would
 * take hours for a million rows; the derived columns are filled as the store fills them
 * for resources without parents: effective_project = project, acl_holder = the resource
 * itself when it holds an ACL).
 */
async function load (url: string, n: number): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const module of ['jobs', 'docs']) {
      const acl = module === 'docs'
        ? `case when i % ${ACL_EVERY} = 0 then jsonb_build_array(jsonb_build_object('who', 'u-' || ((i / ${ACL_EVERY}) % ${USERS}), 'allow', jsonb_build_array('view'))) end`
        : 'null'
      await client.query(`
        insert into resources (tenant_id, module, id, project, parent, relations, acl, effective_project, acl_holder)
        select $1, $2, 'r-' || lpad(i::text, 7, '0'), 'p-' || (i % ${PROJECTS}), null,
               jsonb_build_object('assignee', jsonb_build_array('u-' || (i % ${USERS})), 'creator', jsonb_build_array('u-' || ((i * 7) % ${USERS}))),
               ${acl}, 'p-' || (i % ${PROJECTS}),
               ${module === 'docs' ? `case when i % ${ACL_EVERY} = 0 then 'r-' || lpad(i::text, 7, '0') end` : 'null'}
        from generate_series(0, $3::int - 1) as i`, [TENANT, module, n])
      await client.query(`
        insert into resource_relations (tenant_id, module, relation, value, resource_id)
        select $1, $2, 'assignee', 'u-' || (i % ${USERS}), 'r-' || lpad(i::text, 7, '0') from generate_series(0, $3::int - 1) as i
        union all
        select $1, $2, 'creator', 'u-' || ((i * 7) % ${USERS}), 'r-' || lpad(i::text, 7, '0') from generate_series(0, $3::int - 1) as i
        where $2 = 'jobs'`, [TENANT, module, n])
    }
    // Invoices: attributes only (no relations), amount 0 to 9,999.
    await client.query(`
      insert into resources (tenant_id, module, id, project, parent, relations, acl, attributes, effective_project, acl_holder)
      select $1, 'invoices', 'r-' || lpad(i::text, 7, '0'), null, null, '{}'::jsonb, null,
             jsonb_build_object(
               'status', case when i % ${LOCKED_EVERY} = 7 then 'locked' when i % ${DISPUTED_EVERY} = 11 then 'disputed' else (array['open', 'sent', 'paid'])[1 + i % 3] end,
               'amount', i % 10000),
             null, null
      from generate_series(0, $2::int - 1) as i`, [TENANT, n])
    await client.query(aclBackfill())
    await client.query('analyze resources; analyze resource_relations; analyze acl_entries')
  } finally {
    await client.end()
  }
}

async function sqlOn (url: string, text: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}

async function serverVersion (url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const r = await client.query<{ v: string }>("select current_setting('server_version') as v")
    return r.rows[0]?.v ?? 'unknown'
  } finally {
    await client.end()
  }
}

function p95 (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? Number.NaN
}

export async function runSearchBench (opts: SearchBenchOptions): Promise<SearchBenchResult> {
  const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const database = await createTestDatabase(server)
  let store: Store | undefined
  try {
    store = await openStore({ databaseUrl: database.url, dataDir: 'unused' })
    await store.putTenant(TENANT, { name: 'Search benchmark' })
    await store.putPolicy(TENANT, bundle)
    const compiled = compileBundle(bundle)
    if (!compiled.ok) throw new Error(`benchmark bundle invalid: ${JSON.stringify(compiled.issues)}`)
    const policy = compiled.policy

    opts.log(`search: loading ${opts.resources.toLocaleString('en-US')} resources into each of 3 modules...`)
    await sqlOn(database.url, 'DROP INDEX resources_attributes_idx')
    const started = performance.now()
    await load(database.url, opts.resources)
    const loadSeconds = (performance.now() - started) / 1000
    opts.log(`search: loaded in ${sig(loadSeconds)} s`)
    // What migration 0006 costs on a database that already holds these resources.
    const building = performance.now()
    await sqlOn(database.url, ATTRIBUTE_INDEX)
    const indexBuildSeconds = (performance.now() - building) / 1000
    const indexMb = Number((await sqlOn(database.url, "select pg_relation_size('resources_attributes_idx') as n"))[0]?.n) / 2 ** 20
    opts.log(`search: attribute index built in ${sig(indexBuildSeconds)} s (${sig(indexMb)} MiB)`)

    const subjects: Array<{ name: string, module: string, subject: Subject }> = [
      { name: 'all-scoped (manager)', module: 'jobs', subject: { id: 'boss', roles: ['manager'] } },
      { name: 'assigned-scoped (employee)', module: 'jobs', subject: { id: 'u-17', roles: ['employee'] } },
      { name: 'project role (foreman on 3 sites)', module: 'jobs', subject: { id: 'fm', roles: [], projects: { 'p-3': ['foreman'], 'p-44': ['foreman'], 'p-201': ['foreman'] } } },
      { name: 'assigned + folder ACLs (employee)', module: 'docs', subject: { id: 'u-17', roles: ['employee'] } },
      ...ATTRIBUTE_SUBJECTS
    ]
    const cases: SearchCase[] = []
    const s = store
    // Nothing is written while timing: every search is at the same tenant revision.
    const revision = (await s.getRevisions([TENANT])).get(TENANT) ?? 0
    const kept = new SearchFactsCache(DEFAULT_SEARCH_FACTS_MB * 2 ** 20)
    const measure = async ({ name, module, subject }: { name: string, module: string, subject: Subject }): Promise<SearchCase> => {
      const search = async (after?: string, keep = false): Promise<{ ids: string[], hasMore: boolean, plan: QueryPlan }> => {
        const read = async (): Promise<SearchFacts> => await s.getSearchFacts(TENANT, module)
        const facts = keep ? await kept.read(TENANT, module, revision, read) : await read()
        const plan = planSearch(policy, subject, 'view', module, facts)
        const page = await s.listResources(TENANT, module, plan, after === undefined ? { limit: PAGE } : { limit: PAGE, after })
        return { ...page, plan }
      }
      // Count the matches and find a deep starting point: page to the end (or, for
      // `always`, jump: ids are dense and in order).
      const first = await search()
      let matches: number
      let deepAfter: string
      let deepOffset: number
      if (first.plan.kind === 'always') {
        matches = opts.resources
        deepOffset = Math.floor(opts.resources * 0.9)
        deepAfter = `r-${pad(deepOffset - 1)}`
      } else {
        const ids: string[] = [...first.ids]
        let more = first.hasMore
        while (more) {
          const next = await search(ids[ids.length - 1])
          ids.push(...next.ids)
          more = next.hasMore
        }
        matches = ids.length
        deepOffset = Math.max(0, Math.floor(matches * 0.9) - 1)
        deepAfter = ids[deepOffset] ?? ''
      }
      const time = async (after: string | undefined, keep: boolean): Promise<PageMs> => {
        await search(after, keep)
        const samples: number[] = []
        for (let i = 0; i < opts.repeats; i++) {
          const t0 = performance.now()
          await search(after, keep)
          samples.push(performance.now() - t0)
        }
        return { median: median(samples), p95: p95(samples) }
      }
      const result: SearchCase = {
        name,
        plan: first.plan.kind,
        matches,
        firstPageMs: await time(undefined, false),
        deepPageMs: await time(deepAfter, false),
        firstPageKeptMs: await time(undefined, true),
        deepPageKeptMs: await time(deepAfter, true),
        deepOffset
      }
      opts.log(`search: ${name}: ${matches} matches, first page ${sig(result.firstPageMs.median)} ms (facts kept: ${sig(result.firstPageKeptMs.median)} ms), deep page ${sig(result.deepPageMs.median)} ms (${sig(result.deepPageKeptMs.median)} ms)`)
      return result
    }
    for (const subject of subjects) cases.push(await measure(subject))

    // The attribute searches and a resource write with the index and without it (dropped),
    // in blocks with, without, without, with: the host's load drifts, and each state gets
    // the same share of early and late samples. A first page reads the facts (the first
    // search at a revision); the writes between blocks move the revision anyway.
    const firstPage = async (module: string, subject: Subject): Promise<number> => {
      const t0 = performance.now()
      const plan = planSearch(policy, subject, 'view', module, await s.getSearchFacts(TENANT, module))
      await s.listResources(TENANT, module, plan, { limit: PAGE })
      return performance.now() - t0
    }
    const samples = { with: new Map<string, number[]>(), without: new Map<string, number[]>() }
    const writeSamples: Record<'with' | 'without', number[]> = { with: [], without: [] }
    let written = 0
    for (const state of ['with', 'without', 'without', 'with'] as const) {
      const exists = (await sqlOn(database.url, "select count(*)::int as n from pg_indexes where indexname = 'resources_attributes_idx'"))[0]?.n === 1
      if (state === 'with' && !exists) await sqlOn(database.url, ATTRIBUTE_INDEX)
      if (state === 'without' && exists) await sqlOn(database.url, 'DROP INDEX resources_attributes_idx')
      for (let i = 0; i < BLOCK_PAGES; i++) {
        for (const { name, module, subject } of ATTRIBUTE_SUBJECTS) {
          const list = samples[state].get(name) ?? []
          samples[state].set(name, list)
          list.push(await firstPage(module, subject))
        }
      }
      for (let i = 0; i < BLOCK_WRITES; i++) {
        const t0 = performance.now()
        await s.putResource(TENANT, { module: 'invoices', id: `w-${pad(written++)}`, relations: {}, attributes: { status: 'open', amount: i } })
        writeSamples[state].push(performance.now() - t0)
      }
    }
    const msOf = (values: readonly number[]): PageMs => ({ median: median(values), p95: p95(values) })
    const attributeCases: AttributeCase[] = ATTRIBUTE_SUBJECTS.map(({ name }) => ({
      name,
      matches: cases.find(c => c.name === name)?.matches ?? 0,
      withIndexMs: msOf(samples.with.get(name) ?? []),
      withoutIndexMs: msOf(samples.without.get(name) ?? [])
    }))
    for (const c of attributeCases) opts.log(`search: ${c.name}: first page ${sig(c.withIndexMs.median)} ms with the attribute index, ${sig(c.withoutIndexMs.median)} ms without`)
    const writeWithIndexMs = msOf(writeSamples.with)
    const writeWithoutIndexMs = msOf(writeSamples.without)
    opts.log(`search: a resource write ${sig(writeWithIndexMs.median)} ms with the attribute index, ${sig(writeWithoutIndexMs.median)} ms without`)
    const postgres = await serverVersion(database.url)
    return {
      resources: opts.resources,
      loadSeconds,
      indexBuildSeconds,
      indexMb,
      attributeCases,
      writeWithIndexMs,
      writeWithoutIndexMs,
      postgres,
      cases,
      // Issue 3's target names the assigned-scoped and the all-scoped subject.
      target: 'first page of 100 under 50 ms for the all-scoped and the assigned-scoped subject',
      targetMet: cases.filter(c => c.name.startsWith('all-scoped') || c.name.startsWith('assigned-scoped')).every(c => c.firstPageMs.median < 50)
    }
  } finally {
    await store?.close()
    await database.drop()
  }
}

export function formatSearchReport (r: SearchBenchResult): string {
  const ms = (p: PageMs): string => `${sig(p.median)} / ${sig(p.p95)}`
  const rows = r.cases.map(c => [
    c.name, c.plan, c.matches.toLocaleString('en-US'), c.deepOffset.toLocaleString('en-US'),
    ms(c.firstPageMs), ms(c.deepPageMs), ms(c.firstPageKeptMs), ms(c.deepPageKeptMs)
  ])
  return [
    `search/resource on PostgreSQL ${r.postgres}: ${r.resources.toLocaleString('en-US')} stored resources per module, pages of ${PAGE}; ms per page, median / p95`,
    table(['subject', 'plan', 'matches', 'deep page after', 'first page', 'deep page', 'first page, facts kept', 'deep page, facts kept'], rows),
    'facts kept: the ACL facts the service keeps for the tenant revision (the pages after the first search at a revision)',
    '',
    `attribute conditions: first page, ms, median / p95 of ${2 * BLOCK_PAGES} each, blocks with / without / without / with the index`,
    table(['subject', 'matches', 'with resources_attributes_idx', 'without (dropped)', 'ratio of medians'], r.attributeCases.map(c => [
      c.name, c.matches.toLocaleString('en-US'), ms(c.withIndexMs), ms(c.withoutIndexMs), `${sig(c.withoutIndexMs.median / c.withIndexMs.median)}x`
    ])),
    `resources_attributes_idx: built in ${sig(r.indexBuildSeconds)} s over ${(3 * r.resources).toLocaleString('en-US')} resources (${sig(r.indexMb)} MiB); ` +
      `a resource write ${ms(r.writeWithIndexMs)} ms with it, ${ms(r.writeWithoutIndexMs)} ms without (median / p95 of ${2 * BLOCK_WRITES} each)`,
    `target ${r.target}: ${r.targetMet ? 'met' : 'MISSED'}`
  ].join('\n')
}
