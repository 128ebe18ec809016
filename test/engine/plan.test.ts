import t from 'tap'
import type { Filter, QueryPlan, SearchFacts, Subject } from '../../src/engine/index.js'
import { decide, matchesPlan, planSearch } from '../../src/engine/index.js'
import { planResourceOf } from '../search/oracle.js'
import { cases, sub } from './fixtures/decision-cases.js'
import { richPolicy } from './fixtures/rich-bundle.js'

const policy = richPolicy()
const NO_FACTS: SearchFacts = { hasAcls: false, aclConditions: [] }
/** A module whose stored resources hold ACLs without conditions. */
const ACLS: SearchFacts = { hasAcls: true, aclConditions: [] }
const ALWAYS: QueryPlan = { kind: 'always' }
const NEVER: QueryPlan = { kind: 'never' }
const when = (filter: Filter): QueryPlan => ({ kind: 'conditional', filter })

t.test('every case of the decision table agrees with its search plan (check and list agree)', async t => {
  for (const c of cases) {
    const ancestors = c.ancestors ?? []
    // The facts the store would report for this resource and its ancestors.
    const entries = [c.resource, ...ancestors].flatMap(r => r.acl ?? [])
    const facts: SearchFacts = { hasAcls: entries.length > 0 || [c.resource, ...ancestors].some(r => r.acl !== undefined), aclConditions: entries.flatMap(e => typeof e.when === 'string' ? [e.when] : []) }
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

const planCases: PlanCase[] = [
  // Steps 1 and 1b.
  { name: 'an unknown subject may list nothing', subject: undefined, action: 'view', module: 'jobs', want: NEVER },
  { name: 'an inactive subject may list nothing, even the owner', subject: u1([], { owner: true, status: 'inactive' }), action: 'view', module: 'jobs', want: NEVER },
  { name: 'a login: false subject may list nothing', subject: u1(['superuser'], { login: false }), action: 'view', module: 'jobs', want: NEVER },
  { name: 'an unknown module lists nothing, even for the owner', subject: u1([], { owner: true }), action: 'view', module: 'trucks', want: NEVER },
  { name: 'an unknown action lists nothing, even for the owner', subject: u1([], { owner: true }), action: 'lock', module: 'jobs', want: NEVER },
  { name: 'an inherited object member is not an action', subject: u1(['superuser']), action: 'constructor', module: 'jobs', want: NEVER },
  // Step 2 and 3.
  { name: 'the owner lists everything, ACLs and override denies included', subject: u1([], { owner: true, overrides: { modules: { jobs: { deny: ['view'] } } } }), action: 'view', module: 'jobs', facts: ACLS, want: ALWAYS },
  { name: 'an override deny lists nothing, even for an all role', subject: u1(['superuser'], { overrides: { modules: { jobs: { deny: ['view'] } } } }), action: 'view', module: 'jobs', want: NEVER },
  // Step 4.
  { name: 'an all role lists everything, whatever the ACLs', subject: u1(['superuser']), action: 'delete', module: 'documents', facts: ACLS, want: ALWAYS },
  { name: 'a module admin lists everything of its module, whatever the ACLs', subject: u1(['jobs_admin']), action: 'delete', module: 'jobs', facts: ACLS, want: ALWAYS },
  {
    name: 'access all lists the resources no ACL governs, and those whose ACL allows the subject by name, role or `*`',
    subject: u1(['accountant']),
    action: 'view',
    module: 'documents',
    facts: ACLS,
    want: when({ op: 'or', args: [{ op: 'acl_allows', action: 'view', who: ['*', 'role:accountant', 'u1'] }, { op: 'not', arg: { op: 'acl_governed' } }] })
  },
  { name: 'without a grant, only the resources whose ACL allows are listed', subject: u1([], { groups: ['crew-a'] }), action: 'view', module: 'documents', facts: ACLS, want: when({ op: 'acl_allows', action: 'view', who: ['*', 'group:crew-a', 'u1'] }) },
  {
    name: 'an assigned grant reaches the resources no ACL governs',
    subject: u1(['employee']),
    action: 'view',
    module: 'jobs',
    facts: ACLS,
    want: when({
      op: 'or',
      args: [
        { op: 'acl_allows', action: 'view', who: ['*', 'role:employee', 'u1'] },
        { op: 'and', args: [{ op: 'not', arg: { op: 'acl_governed' } }, { op: 'or', args: ['assignee', 'responsible'].map(relation => ({ op: 'relation_contains_any' as const, relation, values: ['u1'] })) }] }
      ]
    })
  },
  {
    name: 'a role: entry matches the roles that apply in each governed resource\'s project',
    subject: u1([], { projects: { 'site-12': ['observer'] } }),
    action: 'view',
    module: 'documents',
    facts: ACLS,
    want: when({
      op: 'or',
      args: [
        { op: 'and', args: [{ op: 'not', arg: { op: 'project_in', values: ['site-12'] } }, { op: 'acl_allows', action: 'view', who: ['*', 'u1'] }] },
        {
          op: 'and',
          args: [
            { op: 'project_in', values: ['site-12'] },
            {
              op: 'or',
              args: [
                { op: 'acl_allows', action: 'view', who: ['*', 'role:observer', 'u1'] },
                { op: 'and', args: [{ op: 'not', arg: { op: 'acl_governed' } }, { op: 'relation_contains_any', relation: 'author', values: ['u1'] }] }
              ]
            }
          ]
        }
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
  {
    name: 'a project admin role lists its project whatever the ACLs',
    subject: u1([], { projects: { 'site-12': ['jobs_admin'] } }),
    action: 'delete',
    module: 'jobs',
    facts: ACLS,
    want: when({ op: 'or', args: [{ op: 'and', args: [{ op: 'not', arg: { op: 'project_in', values: ['site-12'] } }, { op: 'acl_allows', action: 'delete', who: ['*', 'u1'] }] }, { op: 'project_in', values: ['site-12'] }] })
  },
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

t.test('an ACL leaf names the entry conditions that hold for the request, in one order', async t => {
  const subject = u1([], { groups: ['crew-a'] })
  const conditions = ["context.network == 'office'", "action.mode == 'export'", "context.network == 'home'"]
  const inputs = { context: { network: 'office' }, actionProperties: { mode: 'export' } }
  const want = planSearch(policy, subject, 'view', 'documents', { hasAcls: true, aclConditions: conditions }, inputs)
  t.same(want, when({ op: 'acl_allows', action: 'view', who: ['*', 'group:crew-a', 'u1'], when: ["action.mode == 'export'", "context.network == 'office'"] }))
  t.same(planSearch(policy, subject, 'view', 'documents', { hasAcls: true, aclConditions: [...conditions].reverse() }, inputs), want)
  t.same(planSearch(policy, subject, 'view', 'documents', { hasAcls: true, aclConditions: conditions }), when({ op: 'acl_allows', action: 'view', who: ['*', 'group:crew-a', 'u1'] }), 'none holds without inputs')
})

t.test('matchesPlan reads an ACL leaf as its entries say', async t => {
  const leaf = (extra: Partial<Extract<Filter, { op: 'acl_allows' }>> = {}): QueryPlan => when({ op: 'acl_allows', action: 'view', who: ['*', 'u1'], ...extra })
  const r = (acl?: unknown[]): { id: string, relations: Record<string, string[]>, acl?: never[] } =>
    acl === undefined ? { id: 'd1', relations: {} } : { id: 'd1', relations: {}, acl: acl as never[] }
  t.equal(matchesPlan(leaf(), r()), false, 'a resource without ACL is not allowed by one')
  t.equal(matchesPlan(when({ op: 'acl_governed' }), r()), false)
  t.equal(matchesPlan(when({ op: 'acl_governed' }), r([])), true, 'an empty ACL governs')
  t.equal(matchesPlan(leaf(), r([])), false, 'and allows nothing')
  t.equal(matchesPlan(leaf(), r([{ who: 'u1', allow: ['view'] }])), true)
  t.equal(matchesPlan(leaf(), r([{ who: 'u2', allow: ['view'] }])), false, 'an entry naming someone else does not apply')
  t.equal(matchesPlan(leaf(), r([{ who: '*', allow: ['view'] }, { who: 'u1', deny: ['view'] }])), false, 'a deny wins')
  t.equal(matchesPlan(leaf(), r([{ who: 'u1', deny: ['view'] }, { who: '*', allow: ['view'] }])), false, 'in any order')
  t.equal(matchesPlan(leaf(), r([{ who: 'u1', allow: ['edit'] }])), false, 'another action')
  t.equal(matchesPlan(leaf(), r([{ who: 'u1', allow: ['view'], when: 'c1' }])), false, 'a condition not listed does not hold')
  t.equal(matchesPlan(leaf({ when: ['c1'] }), r([{ who: 'u1', allow: ['view'], when: 'c1' }])), true, 'a listed one does')
  t.equal(matchesPlan(leaf({ when: ['c1'] }), r([{ who: '*', allow: ['view'] }, { who: 'u1', deny: ['view'], when: 'c2' }])), true, 'a deny whose condition fails does not apply')
  t.equal(matchesPlan(leaf({ when: ['3'] }), r([{ who: 'u1', allow: ['view'], when: 3 }])), false, 'a condition that is not a string never holds')
  t.equal(matchesPlan(leaf(), r([null, { who: 5, allow: ['view'] }, { who: 'u1', allow: 'view' }])), false, 'malformed entries never apply')
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
