import t from 'tap'
import type { AclGroup, Filter, QueryPlan, SearchFacts, Subject } from '../../src/engine/index.js'
import { decide, effectiveProject, matchesPlan, planSearch } from '../../src/engine/index.js'
import { planResourceOf } from '../search/oracle.js'
import { cases, sub } from './fixtures/decision-cases.js'
import { richPolicy } from './fixtures/rich-bundle.js'

const policy = richPolicy()
const NO_FACTS: SearchFacts = { aclGroups: [] }
const ALWAYS: QueryPlan = { kind: 'always' }
const NEVER: QueryPlan = { kind: 'never' }
const when = (filter: Filter): QueryPlan => ({ kind: 'conditional', filter })
const group = (holder: string, entries: AclGroup['entries'], ids: string[], project?: string): AclGroup =>
  project === undefined ? { holder, entries, ids } : { holder, entries, ids, project }

t.test('every case of the decision table agrees with its search plan (check and list agree)', async t => {
  for (const c of cases) {
    const ancestors = c.ancestors ?? []
    // The facts the store would report for this resource: the ACL governing it and its effective project.
    const holder = [c.resource, ...ancestors].find(r => r.acl !== undefined)
    const facts: SearchFacts = holder === undefined
      ? NO_FACTS
      : { aclGroups: [group(holder.id, holder.acl ?? [], [c.resource.id], effectiveProject(c.resource, ancestors))] }
    const plan = planSearch(policy, c.subject ?? undefined, c.action, c.resource.module, facts)
    const allowed = decide(policy, { subject: c.subject ?? undefined, action: c.action, resource: c.resource, ancestors }).allowed
    t.equal(matchesPlan(plan, planResourceOf(c.resource, ancestors)), allowed, `${c.name}: plan ${JSON.stringify(plan)}`)
  }
})

interface PlanCase {
  name: string
  subject: Subject | undefined
  action: string
  module: string
  facts?: SearchFacts
  want: QueryPlan
}

const u1 = (roles: string[], extra: Partial<Subject> = {}): Subject => sub('u1', roles, extra)
const crewDoc = [{ who: 'group:crew-a', allow: ['view'] }]

const planCases: PlanCase[] = [
  // Steps 1 and 1b.
  { name: 'an unknown subject may list nothing', subject: undefined, action: 'view', module: 'jobs', want: NEVER },
  { name: 'an inactive subject may list nothing, even the owner', subject: u1([], { owner: true, status: 'inactive' }), action: 'view', module: 'jobs', want: NEVER },
  { name: 'a login: false subject may list nothing', subject: u1(['superuser'], { login: false }), action: 'view', module: 'jobs', want: NEVER },
  { name: 'an unknown module lists nothing, even for the owner', subject: u1([], { owner: true }), action: 'view', module: 'trucks', want: NEVER },
  { name: 'an unknown action lists nothing, even for the owner', subject: u1([], { owner: true }), action: 'lock', module: 'jobs', want: NEVER },
  { name: 'an inherited object member is not an action', subject: u1(['superuser']), action: 'constructor', module: 'jobs', want: NEVER },
  // Step 2 and 3.
  { name: 'the owner lists everything, ACLs and override denies included', subject: u1([], { owner: true, overrides: { modules: { jobs: { deny: ['view'] } } } }), action: 'view', module: 'jobs', facts: { aclGroups: [group('j1', [], ['j1'])] }, want: ALWAYS },
  { name: 'an override deny lists nothing, even for an all role', subject: u1(['superuser'], { overrides: { modules: { jobs: { deny: ['view'] } } } }), action: 'view', module: 'jobs', want: NEVER },
  // Step 4.
  { name: 'an all role lists everything, whatever the ACLs', subject: u1(['superuser']), action: 'delete', module: 'documents', facts: { aclGroups: [group('d1', [{ who: 'u1', deny: ['delete'] }], ['d1'])] }, want: ALWAYS },
  { name: 'a module admin lists everything of its module, whatever the ACLs', subject: u1(['jobs_admin']), action: 'delete', module: 'jobs', facts: { aclGroups: [group('j1', [], ['j1'])] }, want: ALWAYS },
  { name: 'access all lists everything but the resources whose ACL denies', subject: u1(['accountant']), action: 'view', module: 'documents', facts: { aclGroups: [group('f1', crewDoc, ['f1', 'd2', 'd1']), group('f2', [{ who: '*', allow: ['view'] }], ['f2'])] }, want: when({ op: 'not', arg: { op: 'id_in', values: ['d1', 'd2', 'f1'] } }) },
  { name: 'without a grant, the resources whose ACL allows are listed by id', subject: u1([], { groups: ['crew-a'] }), action: 'view', module: 'documents', facts: { aclGroups: [group('f1', crewDoc, ['f1', 'd1']), group('f2', [], ['f2'])] }, want: when({ op: 'id_in', values: ['d1', 'f1'] }) },
  {
    name: 'a role: entry matches the roles that apply in each governed resource\'s project',
    subject: u1([], { projects: { 'site-12': ['observer'] } }),
    action: 'view',
    module: 'documents',
    facts: {
      aclGroups: [
        group('f1', [{ who: 'role:observer', allow: ['view'] }], ['d1', 'f1'], 'site-12'),
        group('f1', [{ who: 'role:observer', allow: ['view'] }], ['d2'], 'site-13'),
        group('f4', [{ who: 'u9', allow: ['view'] }], ['f4'], 'site-12')
      ]
    },
    // d2 (site-13) is denied by the ACL but needs no listing: no grant reaches site-13 anyway.
    want: when({
      op: 'or',
      args: [
        { op: 'id_in', values: ['d1', 'f1'] },
        { op: 'and', args: [{ op: 'not', arg: { op: 'id_in', values: ['f4'] } }, { op: 'project_in', values: ['site-12'] }, { op: 'relation_contains_any', relation: 'author', values: ['u1'] }] }
      ]
    })
  },
  // Step 5.
  { name: 'access all lists everything', subject: u1(['manager']), action: 'view', module: 'jobs', want: ALWAYS },
  {
    name: 'access assigned lists the resources where one of the assigned relations names the subject, an alias or a group',
    subject: u1(['employee'], { aliases: ['marie@example.com'], groups: ['crew-a'] }),
    action: 'view',
    module: 'jobs',
    want: when({
      op: 'or',
      args: [
        { op: 'relation_contains_any', relation: 'assignee', values: ['u1', 'marie@example.com', 'group:crew-a'] },
        { op: 'relation_contains_any', relation: 'responsible', values: ['u1', 'marie@example.com', 'group:crew-a'] }
      ]
    })
  },
  { name: 'a per-action scope narrows the plan of that action', subject: u1(['closer']), action: 'close', module: 'jobs', want: when({ op: 'relation_contains_any', relation: 'creator', values: ['u1'] }) },
  { name: 'a level too low lists nothing', subject: u1(['employee']), action: 'edit', module: 'jobs', want: NEVER },
  { name: 'a missing flag lists nothing', subject: u1(['fieldy']), action: 'quote', module: 'jobs', want: NEVER },
  { name: 'a role denying the action lists nothing', subject: u1(['manager']), action: 'delete', module: 'jobs', want: NEVER },
  { name: 'any granting role widens the plan', subject: u1(['employee', 'creator_only']), action: 'view', module: 'jobs', want: when({ op: 'or', args: ['assignee', 'creator', 'responsible'].map(relation => ({ op: 'relation_contains_any' as const, relation, values: ['u1'] })) }) },
  { name: 'a project role lists the resources of its project', subject: u1([], { projects: { 'site-12': ['site_operative'] } }), action: 'edit', module: 'tickets', want: when({ op: 'project_in', values: ['site-12'] }) },
  { name: 'project roles in several projects with the same effect share one project list', subject: u1([], { projects: { 'site-12': ['site_operative'], 'site-13': ['site_operative', 'ghost'], 'site-14': [] } }), action: 'edit', module: 'tickets', want: when({ op: 'project_in', values: ['site-12', 'site-13'] }) },
  { name: 'a project role that changes nothing adds no condition', subject: u1(['manager'], { projects: { 'site-12': ['manager'] } }), action: 'view', module: 'jobs', want: ALWAYS },
  {
    name: 'flags come from the roles that apply, so they differ per project',
    subject: u1(['fieldy'], { projects: { 'site-13': ['price_flag'] } }),
    action: 'quote',
    module: 'jobs',
    want: when({ op: 'project_in', values: ['site-13'] })
  },
  {
    name: 'outside the projects where roles change it, the tenant-wide plan holds',
    subject: u1(['requester'], { projects: { 'site-12': ['site_operative'] } }),
    action: 'view',
    module: 'tickets',
    want: when({
      op: 'or',
      args: [
        { op: 'and', args: [{ op: 'not', arg: { op: 'project_in', values: ['site-12'] } }, { op: 'or', args: [{ op: 'relation_contains_any', relation: 'creator', values: ['u1'] }, { op: 'relation_contains_any', relation: 'requester', values: ['u1'] }] }] },
        { op: 'project_in', values: ['site-12'] }
      ]
    })
  },
  { name: 'a project admin role lists its project whatever the ACLs', subject: u1([], { projects: { 'site-12': ['jobs_admin'] } }), action: 'delete', module: 'jobs', facts: { aclGroups: [group('j1', [], ['j1'], 'site-12')] }, want: when({ op: 'project_in', values: ['site-12'] }) },
  // Overrides.
  { name: 'an override access replaces the role access', subject: u1(['manager'], { overrides: { modules: { jobs: { access: ['creator'] } } } }), action: 'view', module: 'jobs', want: when({ op: 'relation_contains_any', relation: 'creator', values: ['u1'] }) },
  { name: 'an override allow grants within the access', subject: u1(['employee'], { overrides: { modules: { jobs: { allow: ['edit'] } } } }), action: 'edit', module: 'jobs', want: when({ op: 'or', args: ['assignee', 'responsible'].map(relation => ({ op: 'relation_contains_any' as const, relation, values: ['u1'] })) }) },
  { name: 'an override stands as a grant where no role grants the module', subject: u1([], { overrides: { modules: { invoices: { access: 'all', level: 'limited' } } } }), action: 'view', module: 'invoices', want: ALWAYS },
  { name: 'an override flag sets a flag', subject: u1(['fieldy'], { overrides: { flags: { manage_prices: true } } }), action: 'quote', module: 'jobs', want: ALWAYS },
  { name: 'an override flag clears a flag', subject: u1(['manager'], { overrides: { flags: { manage_prices: false } } }), action: 'quote', module: 'jobs', want: NEVER }
]

t.test('plans, rule by rule (docs/decisions/0001 and 0002)', async t => {
  for (const c of planCases) {
    t.same(planSearch(policy, c.subject, c.action, c.module, c.facts ?? NO_FACTS), c.want, c.name)
  }
})

t.test('a plan does not depend on the order of the facts', async t => {
  const groups = [group('f1', crewDoc, ['d3', 'f1', 'd1']), group('f2', [], ['f2', 'd2'], 'site-12'), group('f3', [{ who: 'u1', allow: ['view'] }], ['f3'])]
  const subject = u1(['accountant'], { groups: ['crew-a'] })
  const want = planSearch(policy, subject, 'view', 'documents', { aclGroups: groups })
  t.same(want, when({ op: 'not', arg: { op: 'id_in', values: ['d2', 'f2'] } }))
  t.same(planSearch(policy, subject, 'view', 'documents', { aclGroups: [...groups].reverse().map(g => ({ ...g, ids: [...g.ids].reverse() })) }), want)
})

t.test('matchesPlan reads every filter two-valued', async t => {
  const r = { id: 'j1', relations: { assignee: ['u1'] } }
  t.equal(matchesPlan(ALWAYS, r), true)
  t.equal(matchesPlan(NEVER, r), false)
  t.equal(matchesPlan(when({ op: 'project_in', values: ['p'] }), r), false, 'no project is in no list')
  t.equal(matchesPlan(when({ op: 'not', arg: { op: 'project_in', values: ['p'] } }), r), true)
  t.equal(matchesPlan(when({ op: 'relation_contains_any', relation: 'creator', values: ['u1'] }), r), false, 'a relation without values holds nothing')
  t.equal(matchesPlan(when({ op: 'relation_contains_any', relation: 'constructor', values: ['u1'] }), r), false, 'an inherited member is not a relation')
  t.equal(matchesPlan(when({ op: 'and', args: [{ op: 'id_in', values: ['j1'] }, { op: 'relation_contains_any', relation: 'assignee', values: ['u2', 'u1'] }] }), r), true)
  t.equal(matchesPlan(when({ op: 'or', args: [{ op: 'id_in', values: ['j2'] }, { op: 'project_in', values: ['p'] }] }), { ...r, project: 'p' }), true)
  t.throws(() => matchesPlan({ kind: 'sometimes' } as unknown as QueryPlan, r), /bug/, 'a plan of no known kind is a bug, never an answer')
  t.throws(() => matchesPlan(when({ op: 'sql' } as unknown as Filter), r), /bug/, 'so is a filter of no known op')
})
