/**
 * The store's candidate walk (`listResources` past its scan window, issue 17): each step
 * merges the first ids of every index-ordered source (relation values, projects, ids,
 * the resources of each allowing ACL holder) and filters the range they close. Random
 * tenants are too small for a source to be cut short, so this tenant has sources of a
 * few hundred ids that overlap (a resource in two relation values, governed by a holder
 * and named by a relation), holders where the subject is also denied, entry conditions,
 * and plans whose filter rejects most candidates (so that the walk takes several steps).
 * Every page, at several limits, must be exactly what `matchesPlan` selects from the
 * stored facts (test/search/oracle.ts), on both databases, with a window of 3 rows so
 * that nearly every id comes through the walk.
 */
import t from 'tap'
import type { Filter, QueryPlan, ResourceFacts } from '../../src/engine/index.js'
import { matchesPlan } from '../../src/engine/index.js'
import { backends } from '../helpers/db.js'
import { ancestorsOf, planResourceOf } from '../search/oracle.js'

const MODULE = 'docs'
const pad = (i: number): string => String(i).padStart(3, '0')

/**
 * Four folders of 150 documents: f-0 allows u1; f-1 allows group:g1 and denies u1; f-2
 * allows `*` under condition c1; f-3 holds no ACL and sits in f-2 (governed by it). One
 * document in 37 holds its own ACL (allows u1, denies group:g1). Relations: u1 on every
 * third document, group:g1 on every fourth; projects p1 on every seventh, p2 on f-1.
 */
function resources (): ResourceFacts[] {
  const out: ResourceFacts[] = [
    { module: MODULE, id: 'f-0', relations: {}, acl: [{ who: 'u1', allow: ['view'] }] },
    { module: MODULE, id: 'f-1', relations: {}, project: 'p2', acl: [{ who: 'group:g1', allow: ['view'] }, { who: 'u1', deny: ['view'] }] },
    { module: MODULE, id: 'f-2', relations: {}, acl: [{ who: '*', when: 'c1', allow: ['view'] }] },
    { module: MODULE, id: 'f-3', parent: 'f-2', relations: {} }
  ]
  for (let i = 0; i < 600; i++) {
    const assignee = [...(i % 3 === 0 ? ['u1'] : []), ...(i % 4 === 0 ? ['group:g1'] : [])]
    out.push({
      module: MODULE,
      id: `d-${pad(i)}`,
      parent: `f-${i % 4}`,
      relations: { assignee },
      ...(i % 7 === 0 ? { project: 'p1' } : {}),
      ...(i % 37 === 0 ? { acl: [{ who: 'u1', allow: ['view'] }, { who: 'group:g1', deny: ['view'] }] } : {})
    })
  }
  return out
}

const allows = (who: string[], when?: string[]): Filter => ({ op: 'acl_allows', action: 'view', who, ...(when === undefined ? {} : { when }) })
const assigned = (...values: string[]): Filter => ({ op: 'relation_contains_any', relation: 'assignee', values })
const ungoverned: Filter = { op: 'not', arg: { op: 'acl_governed' } }

const PLANS: Array<{ name: string, filter: Filter }> = [
  { name: 'ACL entries only', filter: allows(['u1', 'group:g1']) },
  { name: '`*` under a condition that holds', filter: allows(['nobody', '*'], ['c1']) },
  { name: '`*` under a condition that does not hold, and a name', filter: allows(['u1', '*']) },
  { name: 'assigned-scoped with ACLs', filter: { op: 'or', args: [allows(['u1', 'group:g1', '*'], ['c1']), { op: 'and', args: [ungoverned, assigned('u1', 'group:g1')] }] } },
  { name: 'relations of two values, a project and ids', filter: { op: 'or', args: [assigned('u1', 'group:g1'), { op: 'project_in', values: ['p1'] }, { op: 'id_in', values: ['d-599', 'd-001', 'f-3', 'missing'] }] } },
  { name: 'candidates the filter mostly rejects', filter: { op: 'and', args: [assigned('u1', 'group:g1'), { op: 'project_in', values: ['p1'] }] } },
  { name: 'a project of few', filter: { op: 'and', args: [{ op: 'project_in', values: ['p2'] }, assigned('u1')] } }
]

for (const harness of await backends({ searchScanWindow: 3 })) {
  t.test(`the candidate walk pages exactly what the plan selects on ${harness.name}`, { skip: harness.skip }, async t => {
    const backend = await harness.open()
    t.teardown(() => backend.close())
    const { store } = backend
    const tenant = `walk-${Math.random().toString(36).slice(2, 10)}`
    await store.putTenant(tenant, { name: 'candidate walk' })
    const stored = resources()
    for (const r of stored) await store.putResource(tenant, r)
    const byId = new Map(stored.map(r => [r.id, r]))
    for (const { name, filter } of PLANS) {
      const plan: QueryPlan = { kind: 'conditional', filter }
      const expected = stored.filter(r => matchesPlan(plan, planResourceOf(r, ancestorsOf(byId, r)))).map(r => r.id).sort()
      t.ok(expected.length > 0, `${name}: selects something (${expected.length})`)
      for (const limit of [3, 50, 1000]) {
        const listed: string[] = []
        let after: string | undefined
        for (let pages = 0; pages < 700; pages++) {
          const page = await store.listResources(tenant, MODULE, plan, after === undefined ? { limit } : { limit, after })
          listed.push(...page.ids)
          if (!page.hasMore) break
          after = page.ids.at(-1)
        }
        t.same(listed, expected, `${name}, pages of ${limit}`)
      }
    }
  })
}
