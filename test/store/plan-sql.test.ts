/**
 * `planToSql` against a real PostgreSQL server, on a caller-like schema: a work order
 * table with a project column, a single-valued relation column and an array column,
 * and join tables (one with a discriminator column, one in another schema). Every
 * clause is run, and its rows compared with `matchesPlan` on the same data.
 */
import t from 'tap'
import type { AclEntry, Filter, PlanResource, QueryPlan } from '../../src/engine/index.js'
import { matchesPlan } from '../../src/engine/index.js'
import type { PlanSqlMapping } from '../../src/store/plan-sql.js'
import { PlanSqlError, planToSql } from '../../src/store/plan-sql.js'
import { createTestDatabase, postgresServer, testPool } from '../helpers/db.js'
import { Rng } from '../search/generator.js'

/** `holder`: the id of the resource whose ACL governs the row (`ACLS`), NULL when none does. */
interface Row { id: string, site: string | null, assignee: string | null, watchers: string[] | null, crew: string[], leads: string[], reviewers: string[], holder: string | null }

const ROWS: Row[] = [
  { id: 'w1', site: 'site-12', assignee: 'u1', watchers: ['u2', 'group:crew-a'], crew: ['u3'], leads: [], reviewers: ['u1'], holder: 'w1' },
  { id: 'w2', site: 'site-13', assignee: null, watchers: null, crew: [], leads: ['u1'], reviewers: [], holder: 'folder' },
  { id: 'w3', site: null, assignee: 'u2', watchers: [], crew: ['u1', 'group:crew-a'], leads: ['u3'], reviewers: [], holder: 'w1' },
  { id: 'w4', site: null, assignee: null, watchers: ['u1'], crew: [], leads: [], reviewers: [], holder: null },
  { id: "w5' OR 1=1 --", site: 'site-12', assignee: 'U1', watchers: ['u3'], crew: [], leads: ['u2'], reviewers: ['group:crew-a'], holder: 'empty' }
]

/** The ACLs of the holders (`folder` is no row: a folder the caller keeps elsewhere). */
const ACLS: Record<string, AclEntry[]> = {
  w1: [{ who: 'u1', allow: ['view'] }, { who: 'group:crew-a', allow: ['view', 'edit'] }, { who: 'u2', deny: ['edit'], when: 'c1' }],
  folder: [{ who: '*', allow: ['view'] }, { who: 'u2', deny: ['view'] }, { who: 'u3', allow: ['edit'], when: 'c2' }],
  empty: []
}

const MAPPING: PlanSqlMapping = {
  id: 'w.id',
  project: 'w.site_id',
  relations: {
    assignee: { column: 'w.assignee_id' },
    watcher: { array: 'w.watcher_ids' },
    crew: { join: { table: 'work_order_people', key: 'work_order_id', valueColumn: 'person', where: { role: 'crew' } } },
    lead: { join: { table: 'work_order_people', key: 'work_order_id', valueColumn: 'person', resourceKey: 'w.id', where: { role: 'lead', active: true } } },
    reviewer: { join: { table: 'crm.reviews', key: 'order_ref', valueColumn: 'Reviewer' } }
  },
  acl: { holder: 'w.acl_holder_id', entries: { table: 'work_order_acl', holder: 'holder_id', who: 'who', action: 'action', effect: 'effect', when: 'cond' } }
}

function planResource (row: Row): PlanResource {
  const relations: Record<string, string[]> = {
    assignee: row.assignee === null ? [] : [row.assignee],
    watcher: row.watchers ?? [],
    crew: row.crew,
    lead: row.leads,
    reviewer: row.reviewers
  }
  const read: PlanResource = row.site === null ? { id: row.id, relations } : { id: row.id, project: row.site, relations }
  if (row.holder !== null) read.acl = ACLS[row.holder] ?? []
  return read
}

const server = await postgresServer()

t.test('planToSql on a real PostgreSQL table', { skip: server.skip }, async t => {
  const database = await createTestDatabase(await server.url())
  const pool = testPool(database.url, 2)
  t.teardown(async () => {
    await pool.end()
    await database.drop()
  })
  await pool.query(`
    create table work_orders (company text not null, id text not null, site_id text, assignee_id text, watcher_ids text[], acl_holder_id text, primary key (company, id));
    create table work_order_acl (holder_id text not null, who text not null, action text not null, effect text not null, cond text);
    create table work_order_people (work_order_id text not null, role text not null, person text not null, active boolean not null default true);
    create schema crm;
    create table crm.reviews (order_ref text not null, "Reviewer" text not null);
  `)
  for (const company of ['acme', 'other']) {
    for (const row of ROWS) {
      await pool.query('insert into work_orders values ($1, $2, $3, $4, $5, $6)', [company, row.id, row.site, row.assignee, row.watchers, row.holder])
    }
  }
  for (const row of ROWS) {
    for (const p of row.crew) await pool.query('insert into work_order_people values ($1, $2, $3)', [row.id, 'crew', p])
    for (const p of row.leads) await pool.query('insert into work_order_people values ($1, $2, $3)', [row.id, 'lead', p])
    for (const p of row.reviewers) await pool.query('insert into crm.reviews values ($1, $2)', [row.id, p])
  }
  for (const [holder, entries] of Object.entries(ACLS)) {
    for (const e of entries) {
      for (const [effect, actions] of [['allow', e.allow], ['deny', e.deny]] as const) {
        for (const action of actions ?? []) await pool.query('insert into work_order_acl values ($1, $2, $3, $4, $5)', [holder, e.who, action, effect, e.when ?? null])
      }
    }
  }
  // An inactive lead row: the `where` condition must exclude it.
  await pool.query('insert into work_order_people values ($1, $2, $3, false)', ['w4', 'lead', 'u1'])

  /** The ids the clause selects, with the caller's own parameter first. */
  async function select (plan: QueryPlan, mapping: PlanSqlMapping = MAPPING): Promise<string[]> {
    const { where, params } = planToSql(plan, mapping, { startIndex: 2 })
    const result = await pool.query<{ id: string }>(`select w.id from work_orders w where w.company = $1 and ${where} order by w.id`, ['acme', ...params])
    return result.rows.map(r => r.id)
  }
  const expected = (plan: QueryPlan): string[] => ROWS.filter(r => matchesPlan(plan, planResource(r))).map(r => r.id).sort()
  const conditional = (filter: Filter): QueryPlan => ({ kind: 'conditional', filter })

  t.test('always and never are TRUE and FALSE without parameters', async t => {
    t.same(planToSql({ kind: 'always' }, MAPPING), { where: 'TRUE', params: [] })
    t.same(planToSql({ kind: 'never' }, MAPPING), { where: 'FALSE', params: [] })
    t.same(await select({ kind: 'always' }), ROWS.map(r => r.id).sort())
    t.same(await select({ kind: 'never' }), [])
  })

  const cases: Array<[string, Filter, string[]]> = [
    ['project_in reads the project column', { op: 'project_in', values: ['site-12'] }, ['w1', "w5' OR 1=1 --"]],
    ['a NULL project is in no list and in every negation', { op: 'not', arg: { op: 'project_in', values: ['site-12', 'site-13'] } }, ['w3', 'w4']],
    ['a single-valued relation column', { op: 'relation_contains_any', relation: 'assignee', values: ['u1', 'u9'] }, ['w1']],
    ['a NULL relation column holds nothing, so its negation holds', { op: 'not', arg: { op: 'relation_contains_any', relation: 'assignee', values: ['u1'] } }, ['w2', 'w3', 'w4', "w5' OR 1=1 --"]],
    ['an array column', { op: 'relation_contains_any', relation: 'watcher', values: ['u1', 'group:crew-a'] }, ['w1', 'w4']],
    ['a NULL array holds nothing, so its negation holds', { op: 'not', arg: { op: 'relation_contains_any', relation: 'watcher', values: ['u2'] } }, ['w2', 'w3', 'w4', "w5' OR 1=1 --"]],
    ['a join table with a discriminator', { op: 'relation_contains_any', relation: 'crew', values: ['u1'] }, ['w3']],
    ['a join table with several where columns (an inactive row does not count)', { op: 'relation_contains_any', relation: 'lead', values: ['u1'] }, ['w2']],
    ['a join table in another schema, with a quoted column', { op: 'relation_contains_any', relation: 'reviewer', values: ['group:crew-a'] }, ["w5' OR 1=1 --"]],
    ['relation tests on one join table or-ed together', { op: 'or', args: [{ op: 'relation_contains_any', relation: 'crew', values: ['u3'] }, { op: 'relation_contains_any', relation: 'lead', values: ['u3'] }, { op: 'relation_contains_any', relation: 'assignee', values: ['u2'] }] }, ['w1', 'w3']],
    ['id_in, and values that look like SQL stay values', { op: 'id_in', values: ["w5' OR 1=1 --", 'w2', "' OR 1=1 --"] }, ['w2', "w5' OR 1=1 --"]],
    ['id not in', { op: 'not', arg: { op: 'id_in', values: ['w1', 'w2'] } }, ['w3', 'w4', "w5' OR 1=1 --"]],
    ['and of or and not', { op: 'and', args: [{ op: 'or', args: [{ op: 'project_in', values: ['site-12'] }, { op: 'relation_contains_any', relation: 'crew', values: ['group:crew-a'] }] }, { op: 'not', arg: { op: 'id_in', values: ['w1'] } }] }, ['w3', "w5' OR 1=1 --"]],
    ['a negation of a negation', { op: 'not', arg: { op: 'not', arg: { op: 'project_in', values: ['site-13'] } } }, ['w2']],
    ['values compare exactly (case-sensitive)', { op: 'relation_contains_any', relation: 'assignee', values: ['U1'] }, ["w5' OR 1=1 --"]],
    ['acl_governed reads the holder column, an empty ACL included', { op: 'acl_governed' }, ['w1', 'w2', 'w3', "w5' OR 1=1 --"]],
    ['not acl_governed: the rows without holder', { op: 'not', arg: { op: 'acl_governed' } }, ['w4']],
    ['acl_allows: an entry naming the subject allows, through the holder', { op: 'acl_allows', action: 'view', who: ['u1'] }, ['w1', 'w3']],
    ['acl_allows: `*` is a name like any other in the list', { op: 'acl_allows', action: 'view', who: ['u9', '*'] }, ['w2']],
    ['acl_allows: a deny wins', { op: 'acl_allows', action: 'view', who: ['u2', '*'] }, []],
    ['acl_allows: an entry with a condition applies only where the plan lists it', { op: 'acl_allows', action: 'edit', who: ['u2', 'group:crew-a'] }, ['w1', 'w3']],
    ['acl_allows: a listed condition that denies', { op: 'acl_allows', action: 'edit', who: ['u2', 'group:crew-a'], when: ['c1'] }, []],
    ['acl_allows: a listed condition that allows', { op: 'acl_allows', action: 'edit', who: ['u3'], when: ['c2', 'c9'] }, ['w2']],
    ['not acl_allows: ungoverned rows and those the ACL does not allow', { op: 'not', arg: { op: 'acl_allows', action: 'view', who: ['u1'] } }, ['w2', 'w4', "w5' OR 1=1 --"]]
  ]
  for (const [name, filter, want] of cases) {
    t.test(name, async t => {
      const plan = conditional(filter)
      t.same(await select(plan), [...want].sort(), 'rows selected')
      t.same(expected(plan), [...want].sort(), 'as matchesPlan reads the plan')
    })
  }

  t.test('the clause numbers its parameters from startIndex and quotes every identifier', async t => {
    const plan = conditional({ op: 'and', args: [{ op: 'project_in', values: ['p'] }, { op: 'relation_contains_any', relation: 'crew', values: ['u1'] }] })
    const { where, params } = planToSql(plan, MAPPING, { startIndex: 4 })
    t.equal(where, '("w"."site_id" = ANY($4) AND "w"."id" IN (SELECT "gh_j0"."work_order_id" FROM "work_order_people" AS "gh_j0" WHERE "gh_j0"."role" = $5 AND "gh_j0"."person" = ANY($6)))')
    t.same(params, [['p'], 'crew', ['u1']])
    t.same(planToSql(plan, MAPPING).params, params, 'the same parameters from $1 by default')
    t.match(planToSql(plan, MAPPING).where, /\$1\b.*\$2\b.*\$3\b/)
  })

  t.test('identifiers outside plain names are refused, whatever the plan', async t => {
    const bad: Array<[string, PlanSqlMapping]> = [
      ['a statement in the id', { id: 'w.id; drop table work_orders' }],
      ['a quote in the project', { id: 'w.id', project: 'w."site_id"' }],
      ['four parts', { id: 'a.b.c.d' }],
      ['an empty part', { id: 'w..id' }],
      ['a qualified join key', { id: 'w.id', relations: { crew: { join: { table: 'work_order_people', key: 'p.work_order_id', valueColumn: 'person' } } } }],
      ['a qualified where column', { id: 'w.id', relations: { crew: { join: { table: 'work_order_people', key: 'work_order_id', valueColumn: 'person', where: { 'x.role': 'crew' } } } } }],
      ['a where value that is not a scalar', { id: 'w.id', relations: { crew: { join: { table: 'work_order_people', key: 'work_order_id', valueColumn: 'person', where: { role: ['crew'] as unknown as string } } } } }],
      ['a qualified ACL entries column', { id: 'w.id', acl: { holder: 'w.acl_holder_id', entries: { table: 'acl', holder: 'a.holder_id', who: 'who', action: 'action', effect: 'effect', when: 'cond' } } }],
      ['ACL entries without a table', { id: 'w.id', acl: { holder: 'w.acl_holder_id' } as unknown as NonNullable<PlanSqlMapping['acl']> }],
      ['an ACL where value that is not a scalar', { id: 'w.id', acl: { holder: 'h', entries: { table: 'acl', holder: 'h', who: 'w', action: 'a', effect: 'e', when: 'c', where: { t: null as unknown as string } } } }],
      ['a relation mapped as nothing', { id: 'w.id', relations: { crew: {} as unknown as { column: string } } }]
    ]
    for (const [name, mapping] of bad) {
      t.throws(() => planToSql({ kind: 'always' }, mapping), { name: 'PlanSqlError', code: 'invalid_mapping' }, name)
    }
    t.throws(() => planToSql({ kind: 'always' }, MAPPING, { startIndex: 0 }), { code: 'invalid_mapping' }, 'startIndex 0')
  })

  t.test('a plan naming an attribute the mapping lacks is refused', async t => {
    t.throws(() => planToSql(conditional({ op: 'relation_contains_any', relation: 'creator', values: ['u1'] }), MAPPING), { code: 'unmapped_attribute', message: /`creator`/ })
    t.throws(() => planToSql(conditional({ op: 'project_in', values: ['p'] }), { id: 'w.id' }), { code: 'unmapped_attribute', message: /`project`/ })
    t.throws(() => planToSql(conditional({ op: 'acl_governed' }), { id: 'w.id' }), { code: 'unmapped_attribute', message: /ACLs/ })
    t.throws(() => planToSql(conditional({ op: 'acl_allows', action: 'view', who: ['u1'] }), { id: 'w.id' }), { code: 'unmapped_attribute', message: /ACLs/ })
    t.same(planToSql(conditional({ op: 'id_in', values: ['w1'] }), { id: 'w.id' }).params, [['w1']], 'a plan on ids needs only the id column')
  })

  t.test('a malformed plan (it may come from JSON) is refused with the place named', async t => {
    const bad: Array<[string, unknown]> = [
      ['not an object', 'always'],
      ['an unknown kind', { kind: 'sometimes' }],
      ['a conditional without filter', { kind: 'conditional' }],
      ['an unknown op', { kind: 'conditional', filter: { op: 'sql', values: ['true'] } }],
      ['values that are not strings', { kind: 'conditional', filter: { op: 'id_in', values: [1] } }],
      ['an empty and', { kind: 'conditional', filter: { op: 'and', args: [] } }],
      ['a relation without name', { kind: 'conditional', filter: { op: 'relation_contains_any', values: ['u1'] } }],
      ['an ACL leaf without action', { kind: 'conditional', filter: { op: 'acl_allows', who: ['u1'] } }],
      ['an ACL leaf whose names are not strings', { kind: 'conditional', filter: { op: 'acl_allows', action: 'view', who: [1] } }],
      ['an ACL leaf whose conditions are not a list', { kind: 'conditional', filter: { op: 'acl_allows', action: 'view', who: ['u1'], when: 'c1' } }],
      ['a filter nested too deep', { kind: 'conditional', filter: Array.from({ length: 100 }).reduce<Filter>(f => ({ op: 'not', arg: f }), { op: 'id_in', values: ['w1'] }) }]
    ]
    for (const [name, plan] of bad) {
      const err = (() => { try { planToSql(plan as QueryPlan, MAPPING) } catch (e) { return e } })()
      t.type(err, PlanSqlError, name)
      t.match(err, { code: 'invalid_plan' }, name)
    }
    t.throws(() => planToSql({ kind: 'conditional', filter: { op: 'not', arg: { op: 'and', args: [{ op: 'id_in', values: ['a'] }, { op: 'bad' }] } } } as unknown as QueryPlan, MAPPING), { message: /`\/filter\/arg\/args\/1`/ })
  })

  t.test('random filters select on PostgreSQL exactly what matchesPlan says', async t => {
    const seed = process.env.GATEHOUSE_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.GATEHOUSE_SEED)
    const rng = new Rng(seed)
    const values = ['u1', 'u2', 'u3', 'U1', 'group:crew-a', 'site-12', 'site-13', 'w1', 'w2', 'w3', "w5' OR 1=1 --", 'nobody']
    const relations = Object.keys(MAPPING.relations ?? {})
    const leaf = (): Filter => {
      const picked = [...new Set(Array.from({ length: rng.range(1, 3) }, () => rng.pick(values)))]
      const kind = rng.int(5)
      if (kind === 0) return { op: 'project_in', values: picked }
      if (kind === 1) return { op: 'id_in', values: picked }
      if (kind === 2) return rng.chance(0.3) ? { op: 'acl_governed' } : { op: 'acl_allows', action: rng.pick(['view', 'edit']), who: [...picked, ...(rng.chance(0.3) ? ['*'] : [])] }
      if (kind === 3) return { op: 'acl_allows', action: rng.pick(['view', 'edit']), who: picked, when: rng.subset(['c1', 'c2', 'c9'], 0.5).concat('c0') }
      return { op: 'relation_contains_any', relation: rng.pick(relations), values: picked }
    }
    const filter = (depth: number): Filter => {
      if (depth === 0 || rng.chance(0.3)) return leaf()
      const kind = rng.int(3)
      if (kind === 0) return { op: 'not', arg: filter(depth - 1) }
      return { op: kind === 1 ? 'and' : 'or', args: Array.from({ length: rng.range(2, 4) }, () => filter(depth - 1)) }
    }
    const failures: string[] = []
    for (let i = 0; i < 300; i++) {
      const plan = conditional(filter(4))
      const got = await select(plan)
      const want = expected(plan)
      if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`seed ${seed}: ${JSON.stringify(plan)} selected ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
    }
    t.same(failures.slice(0, 3), [], `300 random filters agree (seed ${seed}, replay with GATEHOUSE_SEED)`)
  })
})
