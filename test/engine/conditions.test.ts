/**
 * Conditions (issue 14; DESIGN.md §2 "Attributes and conditions"): bundles that declare
 * attributes and `when`, decisions under conditions on actions, grants, overrides and
 * ACL entries (every operator, missing and ill-typed values, every input), and the
 * invariant of search plans under conditions: a stored resource satisfies the plan iff
 * `decide` allows, checked on a table and on random resources and requests.
 */
import { Environment } from '@marcbachmann/cel-js'
import fc from 'fast-check'
import t from 'tap'
import type {
  Bundle, CompiledPolicy, ConditionInputs, Decision, PlanResource, ResourceFacts, SearchFacts, Subject
} from '../../src/engine/index.js'
import { compareStrings } from '../../src/engine/attributes.js'
import {
  allowedActions, checkSubject, compileBundle, compileSubject, decide, exportBundle, matchesPlan, moduleDeclaration, planSearch,
  resourceFromProperties, rolePermission, subjectAttributesFromProperties
} from '../../src/engine/index.js'

/** Conditions put one per action on one grant: together they use every operator and every input. */
const CONDITIONS = [
  "resource.status == 'draft'",
  "resource.status != 'locked'",
  'resource.amount < 100.0',
  'resource.amount <= subject.approval_limit',
  'resource.amount > context.min',
  'resource.amount >= action.amount',
  "resource.status in ['draft', 'sent']",
  "!(resource.status in ['draft', 'sent'])",
  "'urgent' in resource.tags",
  "!('urgent' in resource.tags)",
  'subject.id in resource.author',
  '!(subject.id in resource.responsible)',
  'resource.id == action.target',
  "resource.id != 'I-2'",
  'resource.id in context.ids',
  "has(resource.due) && resource.due < timestamp('2026-06-01T00:00:00Z')",
  'resource.due >= context.now',
  'resource.archived',
  '!resource.archived',
  'resource.archived == false || subject.certified',
  '!(resource.amount < 10.0) && resource.region == subject.region',
  'resource.region in subject.teams',
  'resource.status in action.allowed',
  '!has(resource.amount) || resource.amount < 5.0',
  "'admin' in subject.roles || resource.status == 'paid'",
  'context.level > 3 || resource.amount > 1000.0',
  "!(action.status == 'closed') || subject.id in resource.author",
  "subject.clearance == 'high'",
  'resource.amount in [1.0, 2.0, 3.0]',
  '!(resource.amount in [1.0, 2.0])',
  'resource.archived in [true]',
  "!(resource.due in [timestamp('2026-01-01T00:00:00Z')])",
  'subject.hired < resource.due',
  '!(resource.region in context.regions)',
  'resource.status in []',
  "resource.id in ['I-1', 'I-3'] || !(resource.id in ['I-1', 'I-2'])",
  "!(resource.status == 'draft' || resource.amount > 50.0) && has(resource.status)",
  "context.a.b == 'x' && resource.region != context.a.c",
  "resource.region < 'south' && resource.region >= context.floor",
  '100.0 > resource.amount',
  'true && resource.archived != true',
  'resource.status != context.state',
  'resource.amount > -1.0 && context.level > -2',
  'resource.due < timestamp(context.now)',
  "context['a'].b == 'x' || resource.region == 'north'",
  "action.status in ['open', 'closed'] && resource.region != ''",
  'action.status in context.states || resource.archived',
  'action.status == context.state || resource.amount == 5.0',
  'resource.amount in context.amounts',
  '!(resource.archived in context.flags)',
  'resource.due in context.dates',
  'action.tag in resource.tags',
  'context.who in resource.author',
  '!(resource.region in context.regions) || resource.id in action.ids',
  "resource.tags == resource.tags || 'x' in resource.tags"
]
/** The last condition is refused (two resource values): it is not in the bundle. */
const PLANNED = CONDITIONS.slice(0, -1)
const ACTIONS = PLANNED.map((_, i) => `a${i}`)

const bundle: Bundle = {
  version: 1,
  subject_attributes: {
    approval_limit: 'number',
    region: 'string',
    clearance: { enum: ['low', 'high'] },
    certified: 'boolean',
    teams: ['string'],
    hired: 'timestamp'
  },
  modules: {
    invoices: {
      relations: ['author', 'responsible'],
      attributes: {
        status: { enum: ['draft', 'sent', 'paid', 'locked'] },
        amount: 'number',
        tags: ['string'],
        due: 'timestamp',
        archived: 'boolean',
        region: 'string'
      },
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management', when: "resource.status != 'locked'" },
        approve: { level: 'management' },
        sign: { level: 'limited', when: 'subject.certified' },
        pay: { level: 'full' },
        ...Object.fromEntries(ACTIONS.map(a => [a, { level: 'limited' as const }]))
      },
      fields: { total: {} }
    },
    folders: {
      relations: ['author'],
      attributes: { status: 'string' },
      actions: { view: { level: 'limited' }, edit: { level: 'limited' } }
    }
  },
  roles: {
    tester: { modules: { invoices: { access: 'all', level: 'limited', when: Object.fromEntries(ACTIONS.map((a, i) => [a, PLANNED[i] as string])) } } },
    clerk: { modules: { invoices: { access: 'all', level: 'limited', allow: ['approve'], when: { approve: 'resource.amount <= subject.approval_limit' } } } },
    manager: { modules: { invoices: { access: 'all', level: 'full' } } },
    author: { modules: { invoices: { access: ['author'], level: 'management' } } },
    boss: { all: true },
    reader: { modules: { folders: { access: 'all', level: 'limited' } } },
    nobody: { modules: { invoices: { level: 'limited', when: { view: 'true' } } } }
  }
}

function compiled (b: unknown): CompiledPolicy {
  const c = compileBundle(b)
  if (!c.ok) throw new Error(JSON.stringify(c.issues))
  return c.policy
}
const policy = compiled(bundle)
const me = (roles: string[], extra: Partial<Subject> = {}): Subject => ({ id: 'u1', roles, ...extra })
const invoice = (attributes: Record<string, unknown>, extra: Partial<ResourceFacts> = {}): ResourceFacts =>
  ({ module: 'invoices', id: 'INV-7', relations: {}, attributes: attributes as ResourceFacts['attributes'], ...extra })
const NO_FACTS: SearchFacts = { hasAcls: false, aclConditions: [] }
const planResource = (r: ResourceFacts): PlanResource => ({
  id: r.id,
  relations: r.relations,
  ...(r.attributes === undefined ? {} : { attributes: r.attributes }),
  ...(r.acl === undefined ? {} : { acl: r.acl })
})

t.test('the bundle compiles, and its export compiles to the same bundle', async t => {
  const exported = exportBundle(policy)
  t.same(exported, bundle)
  t.same(exportBundle(compiled(exported)), exported)
})

interface BadCase {
  name: string
  change: (b: any) => void
  path: string
  says: string
}

const bad: BadCase[] = [
  { name: 'a typo in an attribute', change: b => { b.modules.invoices.actions.view.when = "resource.stauts == 'x'" }, path: '/modules/invoices/actions/view/when', says: 'column 10: no such key: stauts' },
  { name: 'an unknown subject attribute', change: b => { b.modules.invoices.actions.view.when = 'subject.limit > 3.0' }, path: '/modules/invoices/actions/view/when', says: 'no such key: limit' },
  { name: 'a type mismatch', change: b => { b.modules.invoices.actions.view.when = "resource.amount == 'x'" }, path: '/modules/invoices/actions/view/when', says: 'no such overload' },
  { name: 'an int compared with a double', change: b => { b.modules.invoices.actions.view.when = 'resource.amount == 3' }, path: '/modules/invoices/actions/view/when', says: 'write `3.0`' },
  { name: 'a syntax error', change: b => { b.roles.clerk.modules.invoices.when.approve = 'resource.amount <=' }, path: '/roles/clerk/modules/invoices/when/approve', says: 'column 19: unexpected token' },
  { name: 'an unsupported function', change: b => { b.roles.clerk.modules.invoices.when.approve = 'size(resource.tags) > 1' }, path: '/roles/clerk/modules/invoices/when/approve', says: 'function `size` is not supported' },
  { name: 'a method call', change: b => { b.roles.clerk.modules.invoices.when.approve = "resource.region.startsWith('n')" }, path: '/roles/clerk/modules/invoices/when/approve', says: 'function `startsWith` is not supported' },
  { name: 'arithmetic', change: b => { b.roles.clerk.modules.invoices.when.approve = 'resource.amount < subject.approval_limit * 2.0' }, path: '/roles/clerk/modules/invoices/when/approve', says: '`*` is not supported' },
  { name: 'a ternary', change: b => { b.roles.clerk.modules.invoices.when.approve = 'resource.archived ? true : false' }, path: '/roles/clerk/modules/invoices/when/approve', says: '`?:` is not supported' },
  { name: 'two resource values compared', change: b => { b.roles.clerk.modules.invoices.when.approve = CONDITIONS.at(-1) }, path: '/roles/clerk/modules/invoices/when/approve', says: 'cannot be planned: it compares two values of the resource' },
  { name: 'a resource value in a resource list', change: b => { b.roles.clerk.modules.invoices.when.approve = 'resource.region in resource.tags' }, path: '/roles/clerk/modules/invoices/when/approve', says: 'cannot be planned: both sides of `in`' },
  { name: 'an ordering on ids', change: b => { b.roles.clerk.modules.invoices.when.approve = "resource.id < 'x'" }, path: '/roles/clerk/modules/invoices/when/approve', says: 'cannot be planned: `resource.id` compares only' },
  { name: 'an ordering on an enum', change: b => { b.roles.clerk.modules.invoices.when.approve = "resource.status < 'paid'" }, path: '/roles/clerk/modules/invoices/when/approve', says: 'values of type `enum` compare only' },
  { name: 'an ordering on booleans', change: b => { b.roles.clerk.modules.invoices.when.approve = 'resource.archived < true' }, path: '/roles/clerk/modules/invoices/when/approve', says: 'values of type `boolean` compare only' },
  { name: 'a value outside the enum', change: b => { b.modules.invoices.actions.edit.when = "resource.status != 'lockd'" }, path: '/modules/invoices/actions/edit/when', says: '`lockd` is not a value of `status`' },
  { name: 'a value outside the enum in a list', change: b => { b.modules.invoices.actions.edit.when = "resource.status in ['draft', 'drafted']" }, path: '/modules/invoices/actions/edit/when', says: '`drafted` is not a value of `status`' },
  { name: 'a list compared', change: b => { b.modules.invoices.actions.edit.when = "resource.author == ['u1']" }, path: '/modules/invoices/actions/edit/when', says: 'lists (relations among them) are not compared' },
  { name: 'a list left of in', change: b => { b.modules.invoices.actions.edit.when = 'subject.roles in action.x' }, path: '/modules/invoices/actions/edit/when', says: 'the left side of `in` must be a single value' },
  { name: 'a member of an attribute', change: b => { b.modules.invoices.actions.edit.when = "resource.region.x == 'a'" }, path: '/modules/invoices/actions/edit/when', says: 'column' },
  { name: 'a non-literal in a list', change: b => { b.modules.invoices.actions.edit.when = 'resource.region in [subject.region]' }, path: '/modules/invoices/actions/edit/when', says: 'list literals hold literal values only' },
  { name: 'a bad timestamp', change: b => { b.modules.invoices.actions.edit.when = "resource.due < timestamp('2026-02-30T00:00:00Z')" }, path: '/modules/invoices/actions/edit/when', says: 'is not an RFC 3339 timestamp' },
  { name: 'timestamp of a subject value', change: b => { b.modules.invoices.actions.edit.when = 'resource.due < timestamp(subject.region)' }, path: '/modules/invoices/actions/edit/when', says: '`timestamp()` takes a literal' },
  { name: 'a non-boolean condition', change: b => { b.modules.invoices.actions.edit.when = 'resource.amount' }, path: '/modules/invoices/actions/edit/when', says: 'must be true or false, not `double`' },
  { name: 'null', change: b => { b.modules.invoices.actions.edit.when = 'action.x == null' }, path: '/modules/invoices/actions/edit/when', says: 'only string, number and boolean literals' },
  { name: 'a huge integer', change: b => { b.modules.invoices.actions.edit.when = 'context.x == 9007199254740993' }, path: '/modules/invoices/actions/edit/when', says: 'too large to compare exactly' },
  { name: 'has on an id', change: b => { b.modules.invoices.actions.edit.when = 'has(resource.id)' }, path: '/modules/invoices/actions/edit/when', says: '`has` applies to attributes' },
  { name: 'a bare string', change: b => { b.modules.invoices.actions.edit.when = 'resource.region' }, path: '/modules/invoices/actions/edit/when', says: 'not `string`' },
  { name: 'a condition that is not a string', change: b => { b.modules.invoices.actions.edit.when = true }, path: '/modules/invoices/actions/edit/when', says: '`when` of action `edit` of module `invoices` must be a string, not a boolean' },
  { name: 'a when on an admin grant', change: b => { b.roles.manager.modules.invoices = { admin: true, when: { view: 'true' } } }, path: '/roles/manager/modules/invoices/when', says: 'is `admin`' },
  { name: 'a when map naming an unknown action', change: b => { b.roles.manager.modules.invoices.when = { paint: 'true' } }, path: '/roles/manager/modules/invoices/when/paint', says: 'unknown action `paint`' },
  { name: 'a when that is not a map', change: b => { b.roles.manager.modules.invoices.when = 'true' }, path: '/roles/manager/modules/invoices/when', says: 'must be an object' },
  { name: 'an attribute named like a relation', change: b => { b.modules.invoices.attributes.author = 'string' }, path: '/modules/invoices/attributes/author', says: 'clashes with a relation' },
  { name: 'an attribute named like a reserved property', change: b => { b.modules.invoices.attributes.parent = 'string' }, path: '/modules/invoices/attributes/parent', says: 'clashes with a reserved property' },
  { name: 'an attribute that is no identifier', change: b => { b.modules.invoices.attributes['due-date'] = 'timestamp' }, path: '/modules/invoices/attributes/due-date', says: 'invalid attribute name' },
  { name: 'an attribute named after a CEL keyword', change: b => { b.subject_attributes.in = 'string' }, path: '/subject_attributes/in', says: 'no CEL reserved word' },
  { name: 'an enum with repeats', change: b => { b.modules.invoices.attributes.status = { enum: ['a', 'a'] } }, path: '/modules/invoices/attributes/status/enum/1', says: 'duplicate entry `a` in `enum` of attribute `status`' },
  { name: 'attributes that are not a map', change: b => { b.modules.invoices.attributes = ['status'] }, path: '/modules/invoices/attributes', says: 'must be an object' },
  { name: 'a long condition is cut in the message', change: b => { b.modules.invoices.actions.edit.when = `${"resource.region == 'x' || ".repeat(5)}nonsense` }, path: '/modules/invoices/actions/edit/when', says: '...`, column 131: unknown variable: nonsense' },
  { name: 'a conversion function', change: b => { b.modules.invoices.actions.edit.when = 'dyn(action.x)' }, path: '/modules/invoices/actions/edit/when', says: 'function `dyn` is not supported' },
  { name: 'a negated attribute', change: b => { b.modules.invoices.actions.edit.when = '-resource.amount < 3.0' }, path: '/modules/invoices/actions/edit/when', says: '`-` is not supported' },
  { name: 'a member of a map literal', change: b => { b.modules.invoices.actions.edit.when = "{'a': 'b'}.a == 'b'" }, path: '/modules/invoices/actions/edit/when', says: '`.` is not supported' },
  { name: 'attributes beside malformed relations', change: b => { b.modules.invoices.relations = 'author'; b.modules.invoices.attributes.responsible = 'string' }, path: '/modules/invoices/relations', says: 'must be a list' },
  { name: 'a condition on an unknown module grant is not compiled', change: b => { b.roles.manager.modules.trucks = { when: { view: 'nonsense(' } } }, path: '/roles/manager/modules/trucks', says: 'unknown module' }
]

t.test('a bad condition refuses the bundle, naming the path and the column', async t => {
  for (const c of bad) {
    const b = structuredClone(bundle) as any
    c.change(b)
    const result = compileBundle(b)
    if (result.ok) {
      t.fail(`${c.name}: accepted`)
      continue
    }
    const issue = result.issues.find(i => i.path === c.path)
    t.ok(issue?.message.includes(c.says), `${c.name}: ${JSON.stringify(result.issues)}`)
    for (const i of result.issues) t.notOk(/^[A-Z]|\.$|\n/.test(i.message), `message style: ${i.message}`)
  }
})

interface DecisionCase {
  name: string
  subject: Subject
  action: string
  resource: ResourceFacts
  inputs?: ConditionInputs
  want: boolean
  reason?: string
  says?: string
}

const locked = invoice({ status: 'locked', amount: 50 })
const draft = invoice({ status: 'draft', amount: 50 })
const big = invoice({ status: 'sent', amount: 5000 })

const decisions: DecisionCase[] = [
  // An action's `when`: for everyone, the owner and `all` roles included.
  { name: 'an action when that holds', subject: me(['manager']), action: 'edit', resource: draft, want: true, reason: 'role_grant' },
  { name: 'an action when that fails denies', subject: me(['manager']), action: 'edit', resource: locked, want: false, reason: 'condition_failed', says: '`edit` on `invoices` needs `resource.status != \'locked\'`; `INV-7`\'s `status` is `locked`' },
  { name: 'an action when denies the owner', subject: me([], { owner: true }), action: 'edit', resource: locked, want: false, reason: 'condition_failed' },
  { name: 'an action when denies an all role', subject: me(['boss']), action: 'edit', resource: locked, want: false, reason: 'condition_failed' },
  { name: 'an action when on a missing attribute denies', subject: me(['boss']), action: 'edit', resource: invoice({}), want: false, reason: 'condition_failed', says: '`INV-7` has no `status`' },
  { name: 'an action when does not touch other actions', subject: me(['manager']), action: 'view', resource: locked, want: true, reason: 'role_grant' },
  // A grant's `when`.
  { name: 'a grant when that holds', subject: me(['clerk'], { attributes: { approval_limit: 100 } }), action: 'approve', resource: draft, want: true, reason: 'role_grant' },
  { name: 'a grant when that fails', subject: me(['clerk'], { attributes: { approval_limit: 100 } }), action: 'approve', resource: big, want: false, reason: 'condition_failed', says: 'needs `resource.amount <= subject.approval_limit` (role `clerk`, for `u1`); `INV-7`\'s `amount` is 5000 and `u1`\'s `approval_limit` is 100' },
  { name: 'a grant when with the subject attribute missing', subject: me(['clerk']), action: 'approve', resource: draft, want: false, reason: 'condition_failed' },
  { name: 'a grant when with the subject attribute given by the request', subject: me(['clerk']), action: 'approve', resource: draft, inputs: { subjectAttributes: { approval_limit: 50 } }, want: true },
  { name: 'the request\'s subject attribute replaces the stored one', subject: me(['clerk'], { attributes: { approval_limit: 10000 } }), action: 'approve', resource: big, inputs: { subjectAttributes: { approval_limit: 10 } }, want: false },
  { name: 'an ill-typed stored subject attribute fails closed', subject: me(['clerk'], { attributes: { approval_limit: 'lots' as unknown as number } }), action: 'approve', resource: draft, want: false },
  { name: 'another grant without condition allows', subject: me(['clerk', 'manager']), action: 'approve', resource: big, want: true, reason: 'role_grant' },
  { name: 'a failing grant when is reported over a grant out of scope', subject: me(['author', 'clerk']), action: 'approve', resource: big, want: false, reason: 'condition_failed' },
  { name: 'an action when on the subject that holds', subject: me(['manager'], { attributes: { certified: true } }), action: 'sign', resource: draft, want: true },
  { name: 'an action when on the subject that fails', subject: me(['manager'], { attributes: { certified: false } }), action: 'sign', resource: draft, want: false, reason: 'condition_failed', says: '`sign` on `invoices` needs `subject.certified`; `u1`\'s `certified` is false' },
  { name: 'an action when on the subject fails for the owner too', subject: me([], { owner: true }), action: 'sign', resource: draft, want: false, reason: 'condition_failed' },
  { name: 'a conditional grant without access reaches nothing', subject: me(['nobody']), action: 'view', resource: draft, want: false, reason: 'not_in_scope' },
  { name: 'an all role ignores grant conditions', subject: me(['boss']), action: 'approve', resource: big, want: true, reason: 'role_all' },
  // Operators, one per action of the `tester` grant.
  { name: 'an enum equality', subject: me(['tester']), action: 'a0', resource: draft, want: true },
  { name: 'an enum equality, other value', subject: me(['tester']), action: 'a0', resource: locked, want: false, reason: 'condition_failed', says: '(role `tester`, for `u1`); `INV-7`\'s `status` is `locked`' },
  { name: 'a comparison with a missing attribute is false, and so is its negation', subject: me(['tester']), action: 'a7', resource: invoice({}), want: false },
  { name: 'a list attribute contains', subject: me(['tester']), action: 'a8', resource: invoice({ tags: ['a', 'urgent'] }), want: true },
  { name: 'a list attribute lacks', subject: me(['tester']), action: 'a9', resource: invoice({ tags: ['a'] }), want: true },
  { name: 'not in a missing list is false', subject: me(['tester']), action: 'a9', resource: invoice({}), want: false },
  { name: 'the subject in a relation', subject: me(['tester']), action: 'a10', resource: invoice({}, { relations: { author: ['u1'] } }), want: true },
  { name: 'the subject not in a relation the resource lacks', subject: me(['tester']), action: 'a11', resource: invoice({}), want: true },
  { name: 'an id from the action properties', subject: me(['tester']), action: 'a12', resource: draft, inputs: { actionProperties: { target: 'INV-7' } }, want: true },
  { name: 'an id, the action property missing', subject: me(['tester']), action: 'a12', resource: draft, want: false },
  { name: 'an id in a context list', subject: me(['tester']), action: 'a14', resource: draft, inputs: { context: { ids: ['INV-1', 'INV-7'] } }, want: true },
  { name: 'an id in a context value that is no list', subject: me(['tester']), action: 'a14', resource: draft, inputs: { context: { ids: 'INV-7' } }, want: false },
  { name: 'a timestamp before a literal, in another offset', subject: me(['tester']), action: 'a15', resource: invoice({ due: '2026-06-01T01:59:59+02:00' }), want: true },
  { name: 'a timestamp compared with the context', subject: me(['tester']), action: 'a16', resource: invoice({ due: '2026-06-01T00:00:00.5Z' }), inputs: { context: { now: '2026-06-01T00:00:00.499999Z' } }, want: true },
  { name: 'a timestamp compared with a context value that is no timestamp', subject: me(['tester']), action: 'a16', resource: invoice({ due: '2026-06-01T00:00:00Z' }), inputs: { context: { now: 'yesterday' } }, want: false },
  { name: 'a boolean attribute', subject: me(['tester']), action: 'a17', resource: invoice({ archived: true }), want: true },
  { name: 'a negated boolean attribute', subject: me(['tester']), action: 'a18', resource: invoice({ archived: false }), want: true },
  { name: 'a negated missing boolean attribute', subject: me(['tester']), action: 'a18', resource: invoice({}), want: false },
  { name: 'an error or true is true', subject: me(['tester'], { attributes: { certified: true } }), action: 'a19', resource: invoice({}), want: true },
  { name: 'an error and false is false, negated: still false at the top', subject: me(['tester']), action: 'a20', resource: invoice({ amount: 50 }), want: false },
  { name: 'a resource value in a subject list', subject: me(['tester'], { attributes: { teams: ['north'] } }), action: 'a21', resource: invoice({ region: 'north' }), want: true },
  { name: 'a resource value in an action list with other types', subject: me(['tester']), action: 'a22', resource: draft, inputs: { actionProperties: { allowed: [1, 'draft'] } }, want: true },
  { name: 'subject roles', subject: me(['tester', 'admin']), action: 'a24', resource: draft, want: true },
  { name: 'a context number against an int literal', subject: me(['tester']), action: 'a25', resource: draft, inputs: { context: { level: 4 } }, want: true },
  { name: 'a context string against an int literal is an error', subject: me(['tester']), action: 'a25', resource: draft, inputs: { context: { level: '4' } }, want: false },
  { name: 'an action property decides', subject: me(['tester']), action: 'a26', resource: draft, inputs: { actionProperties: { status: 'open' } }, want: true },
  { name: 'an action property that asks for the author', subject: me(['tester']), action: 'a26', resource: draft, inputs: { actionProperties: { status: 'closed' } }, want: false },
  { name: 'a subject enum', subject: me(['tester'], { attributes: { clearance: 'high' } }), action: 'a27', resource: draft, want: true },
  { name: 'a number in a list of doubles', subject: me(['tester']), action: 'a28', resource: invoice({ amount: 2 }), want: true },
  { name: 'an empty list holds nothing', subject: me(['tester']), action: 'a34', resource: draft, want: false },
  { name: 'a context member chain', subject: me(['tester']), action: 'a37', resource: invoice({ region: 'north' }), inputs: { context: { a: { b: 'x', c: 'south' } } }, want: true },
  { name: 'a context member chain through a non-object', subject: me(['tester']), action: 'a37', resource: invoice({ region: 'north' }), inputs: { context: { a: 'x' } }, want: false },
  { name: 'a literal left of a resource value', subject: me(['tester']), action: 'a39', resource: invoice({ amount: 99.5 }), want: true },
  { name: 'an ill-typed resource value is an error', subject: me(['tester']), action: 'a1', resource: invoice({ status: 7 }), want: false }
]

t.test('decisions under conditions', async t => {
  for (const c of decisions) {
    const d: Decision = decide(policy, { subject: c.subject, action: c.action, resource: c.resource, ...c.inputs })
    t.equal(d.allowed, c.want, `${c.name}: ${d.reason.message}`)
    if (c.reason !== undefined) t.equal(d.reason.code, c.reason, c.name)
    if (c.says !== undefined) t.ok(d.reason.message.includes(c.says), `${c.name}: ${d.reason.message}`)
    // The same through a compiled subject, and in the allowed actions.
    t.equal(decide(policy, { subject: compileSubject(policy, c.subject), action: c.action, resource: c.resource, ...c.inputs }).allowed, c.want, `${c.name} (compiled)`)
    t.equal(allowedActions(policy, c.subject, c.resource, [], c.inputs).includes(c.action), c.want, `${c.name} (allowed actions)`)
    const plan = planSearch(policy, c.subject, c.action, 'invoices', NO_FACTS, c.inputs)
    t.equal(matchesPlan(plan, planResource(c.resource)), c.want, `${c.name} (plan ${JSON.stringify(plan)})`)
  }
})

t.test('a condition_failed reason names the part that failed and the values it read', async t => {
  const d = decide(policy, { subject: me(['tester'], { attributes: { region: 'south' } }), action: 'a20', resource: invoice({ amount: 50, region: 'north', tags: ['x'] }) })
  t.equal(d.reason.code, 'condition_failed')
  t.match(d.reason.message, "; `resource.region == subject.region` fails: `INV-7`'s `region` is `north` and `u1`'s `region` is `south`")
  const listed = decide(policy, { subject: me(['tester']), action: 'a9', resource: invoice({ tags: ['urgent'] }) })
  t.match(listed.reason.message, "`INV-7`'s `tags` is [`urgent`]")
  const none = decide(policy, { subject: me(['tester']), action: 'a27', resource: draft })
  t.equal(none.reason.message, '`a27` on `invoices` needs `subject.clearance == \'high\'` (role `tester`, for `u1`); `u1` has no `clearance`')
  t.same(JSON.parse(JSON.stringify(none.reason)), { code: 'condition_failed', message: none.reason.message })
})

/** Overrides with `when`: the override applies only where its condition holds. */
t.test('per-user overrides with conditions', async t => {
  const overridden = (roles: string[], override: Record<string, unknown>): Subject => me(roles, { overrides: { modules: { invoices: override } } })
  const rows: Array<{ name: string, subject: Subject, action: string, resource: ResourceFacts, want: boolean, reason?: string, says?: string }> = [
    { name: 'an own grant where its condition holds', subject: overridden([], { access: 'all', allow: ['approve'], when: { approve: "resource.status == 'draft'" } }), action: 'approve', resource: draft, want: true, reason: 'override_grant' },
    { name: 'an own grant where its condition fails', subject: overridden([], { access: 'all', allow: ['approve'], when: { approve: "resource.status == 'draft'" } }), action: 'approve', resource: big, want: false, reason: 'condition_failed', says: '(the per-user override, for `u1`)' },
    { name: 'a role grant widened where the condition holds', subject: overridden(['author'], { access: 'all', when: { view: "resource.region == 'north'" } }), action: 'view', resource: invoice({ region: 'north' }), want: true, reason: 'override_grant' },
    { name: 'the role grant as written where it fails', subject: overridden(['author'], { access: 'all', when: { view: "resource.region == 'north'" } }), action: 'view', resource: invoice({ region: 'south' }), want: false, reason: 'not_in_scope' },
    { name: 'the role grant as written still grants in its own scope', subject: overridden(['author'], { access: 'all', when: { view: "resource.region == 'north'" } }), action: 'view', resource: invoice({ region: 'south' }, { relations: { author: ['u1'] } }), want: true, reason: 'role_grant' },
    { name: 'an override condition on another action changes nothing here', subject: overridden(['author'], { access: 'all', when: { approve: 'false' } }), action: 'view', resource: invoice({}), want: true, reason: 'override_grant' },
    { name: 'a role grant condition still applies under an override', subject: overridden(['clerk'], { level: 'management', when: { approve: 'true' } }), action: 'approve', resource: big, want: false, reason: 'condition_failed', says: '(role `clerk`, for `u1`)' },
    { name: 'an override condition on an action no grant gives', subject: overridden(['clerk'], { when: { view: 'false' } }), action: 'approve', resource: big, want: false, reason: 'condition_failed' },
    { name: 'an override condition that fails, over a role that lacks the action', subject: overridden(['author'], { allow: ['pay'], when: { pay: 'false' } }), action: 'pay', resource: invoice({}, { relations: { author: ['u1'] } }), want: false, reason: 'level_insufficient' },
    { name: 'an override condition that is not a string never holds', subject: overridden([], { access: 'all', allow: ['view'], when: { view: 5 } }), action: 'view', resource: draft, want: false },
    { name: 'an override condition that does not compile never holds', subject: overridden([], { access: 'all', allow: ['view'], when: { view: 'resource.nope' } }), action: 'view', resource: draft, want: false }
  ]
  for (const r of rows) {
    const d = decide(policy, { subject: r.subject, action: r.action, resource: r.resource })
    t.equal(d.allowed, r.want, `${r.name}: ${d.reason.message}`)
    if (r.reason !== undefined) t.equal(d.reason.code, r.reason, r.name)
    if (r.says !== undefined) t.match(d.reason.message, r.says, r.name)
    t.equal(allowedActions(policy, r.subject, r.resource).includes(r.action), r.want, `${r.name} (allowed actions)`)
    const plan = planSearch(policy, r.subject, r.action, 'invoices', NO_FACTS)
    t.equal(matchesPlan(plan, planResource(r.resource)), r.want, `${r.name} (plan ${JSON.stringify(plan)})`)
  }
  // Fields come from the grant that stood: the role grant where the override's condition failed.
  const wide = compiled({ ...structuredClone(bundle), roles: { ...bundle.roles, limited: { modules: { invoices: { access: 'all', level: 'limited', fields: { total: 'edit' } } } } } })
  const s = overridden(['limited'], { level: 'full', when: { view: "resource.region == 'north'" } })
  t.same(decide(wide, { subject: s, action: 'view', resource: invoice({ region: 'south' }) }).fields, { visible: ['total'], editable: ['total'] })
})

t.test('ACL entries with conditions on the subject, the action and the context', async t => {
  const folder = (acl: unknown[]): ResourceFacts => ({ module: 'folders', id: 'F-1', relations: {}, acl: acl as ResourceFacts['acl'] })
  const rows: Array<{ name: string, acl: unknown[], inputs?: ConditionInputs, subject?: Subject, want: boolean, says?: string }> = [
    { name: 'an entry whose condition holds allows', acl: [{ who: '*', allow: ['view'], when: "context.network == 'office'" }], inputs: { context: { network: 'office' } }, want: true },
    { name: 'an entry whose condition fails does not match', acl: [{ who: '*', allow: ['view'], when: "context.network == 'office'" }], inputs: { context: { network: 'home' } }, want: false, says: 'no entry matches' },
    { name: 'an entry whose condition errs does not match', acl: [{ who: '*', allow: ['view'], when: "context.network == 'office'" }], want: false },
    { name: 'a deny entry applies only where its condition holds', acl: [{ who: '*', allow: ['view'] }, { who: 'u1', deny: ['view'], when: "action.mode == 'export'" }], inputs: { actionProperties: { mode: 'export' } }, want: false, says: 'entry `u1` denies it' },
    { name: 'a deny entry whose condition fails', acl: [{ who: '*', allow: ['view'] }, { who: 'u1', deny: ['view'], when: "action.mode == 'export'" }], inputs: { actionProperties: { mode: 'read' } }, want: true },
    { name: 'a subject attribute in an entry', acl: [{ who: '*', allow: ['view'], when: "subject.region == 'north'" }], subject: me(['reader'], { attributes: { region: 'north' } }), want: true },
    { name: 'an entry condition that reads the resource never holds', acl: [{ who: '*', allow: ['view'], when: "resource.status == 'x'" }], want: false },
    { name: 'an entry condition that is not a string never holds', acl: [{ who: '*', allow: ['view'], when: 3 }], want: false }
  ]
  for (const r of rows) {
    const subject = r.subject ?? me(['reader'])
    const resource = folder(r.acl)
    const d = decide(policy, { subject, action: 'view', resource, ...r.inputs })
    t.equal(d.allowed, r.want, `${r.name}: ${d.reason.message}`)
    if (r.says !== undefined) t.match(d.reason.message, r.says, r.name)
    const conditions = (resource.acl ?? []).flatMap(e => typeof e.when === 'string' ? [e.when] : [])
    const plan = planSearch(policy, subject, 'view', 'folders', { hasAcls: true, aclConditions: conditions }, r.inputs)
    t.equal(matchesPlan(plan, planResource(resource)), r.want, `${r.name} (plan ${JSON.stringify(plan)})`)
  }
})

// --- The plan invariant on random resources and requests.

const pick = (...values: unknown[]): fc.Arbitrary<unknown> => fc.option(fc.constantFrom(...values), { nil: undefined, freq: 4 })
const defined = (record: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined))

const resourceArb = fc.record({
  id: fc.constantFrom('I-1', 'I-2', 'I-3', 'INV-7'),
  author: fc.subarray(['u1', 'u2', 'group:g']),
  responsible: fc.subarray(['u1', 'u2']),
  status: pick('draft', 'sent', 'paid', 'locked', 'other', 5),
  amount: pick(-1, 0, 1, 2, 5, 10, 50, 99.5, 100, 1000, 1000.5, 'x'),
  tags: pick([], ['urgent'], ['a', 'urgent'], ['a'], 'urgent'),
  due: pick('2025-12-31T23:00:00-02:00', '2026-01-01T00:00:00Z', '2026-06-01T00:00:00.000001Z', '2026-05-31T23:59:59Z', 'soon', 3),
  archived: pick(true, false, 'yes'),
  region: pick('north', 'south', 'east', '', 4)
}).map(r => invoice(defined({ status: r.status, amount: r.amount, tags: r.tags, due: r.due, archived: r.archived, region: r.region }), {
  id: r.id,
  relations: { author: r.author, responsible: r.responsible }
}))

const subjectArb = fc.record({
  roles: fc.constantFrom<string[]>(['tester'], ['tester', 'admin']),
  approval_limit: pick(0, 50, 100, 'x'),
  region: pick('north', 'south'),
  clearance: pick('low', 'high'),
  certified: pick(true, false),
  teams: pick(['north'], ['north', 'east'], []),
  hired: pick('2026-01-01T00:00:00Z', '2026-03-01T12:00:00+01:00')
}).map(s => me(s.roles, { attributes: defined({ approval_limit: s.approval_limit, region: s.region, clearance: s.clearance, certified: s.certified, teams: s.teams, hired: s.hired }) as Subject['attributes'] }))

const inputsArb = fc.record({
  actionProperties: fc.record({
    amount: pick(0, 10, 100, 'x'),
    target: pick('I-1', 'INV-7', 7),
    allowed: pick(['draft'], ['sent', 1], 'draft', []),
    status: pick('closed', 'open', true, 3),
    tag: pick('urgent', 'a', 1),
    ids: pick(['I-1'], 'I-1')
  }),
  context: fc.record({
    min: pick(0, 10, 99.5, 'x'),
    ids: pick(['I-1', 'I-2'], [], ['INV-7', 3], 'I-1'),
    now: pick('2026-01-01T00:00:00Z', '2026-06-01T00:00:00+02:00', 'now'),
    level: pick(1, 4, 3.5, '4'),
    regions: pick(['north'], ['south', 7], 'north'),
    a: pick({ b: 'x', c: 'north' }, { b: 'y' }, 'x'),
    floor: pick('', 'm', 'north', 3),
    state: pick('draft', 'closed', 3, true),
    states: pick(['open'], ['closed', 2], 'open'),
    amounts: pick([], [5, '5'], ['x'], [50, 1000]),
    flags: pick([], [true], ['true']),
    dates: pick([], ['2026-01-01T01:00:00+01:00'], ['soon']),
    who: pick('u1', 'group:g', 3)
  }),
  subjectAttributes: fc.option(fc.record({ approval_limit: fc.constantFrom(10, 100) }, { requiredKeys: [] }), { nil: undefined })
}).map(i => defined({ actionProperties: defined(i.actionProperties), context: defined(i.context), subjectAttributes: i.subjectAttributes }) as ConditionInputs)

t.test('a stored resource satisfies the plan iff decide allows: random resources, subjects and requests', async t => {
  let allowed = 0
  let denied = 0
  fc.assert(fc.property(resourceArb, subjectArb, inputsArb, (resource, subject, inputs) => {
    for (const action of ['view', 'edit', 'approve', ...ACTIONS]) {
      const d = decide(policy, { subject, action, resource, ...inputs })
      const plan = planSearch(policy, subject, action, 'invoices', NO_FACTS, inputs)
      if (d.allowed) allowed++
      else denied++
      if (matchesPlan(plan, planResource(resource)) !== d.allowed) {
        throw new Error(`${action} (${CONDITIONS[ACTIONS.indexOf(action)] ?? ''}): decide ${String(d.allowed)} (${d.reason.message}), plan ${JSON.stringify(plan)}`)
      }
    }
  }), { seed: 14, numRuns: 400 })
  t.ok(allowed > 1000 && denied > 1000, `both outcomes are exercised (${allowed} allowed, ${denied} denied)`)
})

// --- Documents: attributes of resources and subjects, conditions of ACL entries and overrides.

t.test('resource attributes are checked against their declared types, inline and stored', async t => {
  const rows: Array<{ name: string, props: Record<string, unknown>, strict: boolean, want: Record<string, unknown> | Array<[string, string]> }> = [
    { name: 'every type, well typed', props: { status: 'draft', amount: 12.5, tags: ['a'], due: '2026-01-01T00:00:00+01:00', archived: false, region: 'north', author: 'u1' }, strict: true, want: { status: 'draft', amount: 12.5, tags: ['a'], due: '2026-01-01T00:00:00+01:00', archived: false, region: 'north' } },
    { name: 'no attribute at all', props: { author: ['u1'] }, strict: true, want: {} },
    { name: 'a string for a number', props: { amount: '12' }, strict: false, want: [['/amount', 'invalid_type']] },
    { name: 'a value outside the enum', props: { status: 'lost' }, strict: true, want: [['/status', 'invalid_value']] },
    { name: 'a number that is not finite', props: { amount: Number.POSITIVE_INFINITY }, strict: true, want: [['/amount', 'invalid_value']] },
    { name: 'a timestamp that is no timestamp', props: { due: '2026-02-29T00:00:00Z' }, strict: true, want: [['/due', 'invalid_value']] },
    { name: 'a timestamp that is a number', props: { due: 3 }, strict: true, want: [['/due', 'invalid_type']] },
    { name: 'an enum that is a number', props: { status: 3 }, strict: true, want: [['/status', 'invalid_type']] },
    { name: 'a list with a number', props: { tags: ['a', 1] }, strict: true, want: [['/tags/1', 'invalid_type']] },
    { name: 'a list that is a string', props: { tags: 'a' }, strict: false, want: [['/tags', 'invalid_type']] },
    { name: 'a boolean that is a string', props: { archived: 'no' }, strict: true, want: [['/archived', 'invalid_type']] },
    { name: 'a string that is a boolean', props: { region: true }, strict: true, want: [['/region', 'invalid_type']] },
    { name: 'an undeclared property inline is ignored', props: { colour: 'red' }, strict: false, want: {} },
    { name: 'an undeclared property stored is refused', props: { colour: 'red' }, strict: true, want: [['/colour', 'unknown_property']] }
  ]
  for (const r of rows) {
    const result = resourceFromProperties(policy, 'invoices', 'INV-7', r.props, { strict: r.strict })
    if (Array.isArray(r.want)) {
      t.same(result.ok ? [] : result.issues.map(i => [i.path, i.code]), r.want, r.name)
    } else {
      t.same(result.ok ? result.resource.attributes ?? {} : result.issues, r.want, r.name)
    }
  }
})

t.test('strings compare in code point order, as PostgreSQL\'s COLLATE "C" does', async t => {
  const ordered = ['', 'A', 'B', 'a', 'b', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\ud83d\ude00', '\ud83d\ude01']
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      t.equal(compareStrings(ordered[i] as string, ordered[j] as string), Math.sign(i - j), `${i} vs ${j}`)
    }
  }
  t.equal(compareStrings('ab', 'a'), 1)
})

t.test('timestamps: RFC 3339 with up to six fraction digits, real dates, years 1 to 9999', async t => {
  const ok = ['2026-12-07T19:32:27Z', '2024-02-29T00:00:00z', '2026-12-07t19:32:27.123456+05:30', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-04-30T00:00:00-23:59', '1900-02-28T00:00:00Z', '2000-02-29T00:00:00Z']
  const bad = ['2026-12-07', '2026-12-07T19:32:27', '2026-12-07T19:32:27.1234567Z', '2026-13-01T00:00:00Z', '2026-00-01T00:00:00Z', '2026-01-00T00:00:00Z', '2026-04-31T00:00:00Z', '1900-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z', '2026-01-01T00:00:60Z', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00+00:60', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:00:00-02:00']
  for (const due of ok) t.ok(resourceFromProperties(policy, 'invoices', 'I', { due }, { strict: true }).ok, due)
  for (const due of bad) t.notOk(resourceFromProperties(policy, 'invoices', 'I', { due }, { strict: true }).ok, due)
})

t.test('ACL entries: a when is a condition without the resource', async t => {
  const check = (acl: unknown): Array<[string, string]> => {
    const r = resourceFromProperties(policy, 'folders', 'F-1', { acl }, { strict: true })
    return r.ok ? [] : r.issues.map(i => [i.path, i.code])
  }
  t.same(check([{ who: '*', allow: ['view'], when: "context.network == 'office'" }]), [])
  const ok = resourceFromProperties(policy, 'folders', 'F-1', { acl: [{ who: '*', allow: ['view'], when: 'subject.id == \'u1\'' }] }, { strict: true })
  t.same(ok.ok ? ok.resource.acl : undefined, [{ who: '*', allow: ['view'], when: 'subject.id == \'u1\'' }])
  t.same(check([{ who: '*', allow: ['view'], when: "resource.status == 'x'" }]), [['/acl/0/when', 'invalid_condition']])
  const refused = resourceFromProperties(policy, 'folders', 'F-1', { acl: [{ who: '*', when: "resource.status == 'x'" }] }, { strict: false })
  t.match(refused.ok ? '' : refused.issues[0]?.message, 'an ACL entry\'s condition may read `subject`, `action` and `context`, not `resource`')
  t.same(check([{ who: '*', allow: ['view'], when: 7 }]), [['/acl/0/when', 'invalid_type']])
  t.same(check([{ who: '*', allow: ['view'], when: 'context.x +' }]), [['/acl/0/when', 'invalid_condition']])
})

t.test('subjects: stored attributes, request attributes and override conditions', async t => {
  const issues = (subject: unknown): Array<[string, string]> => checkSubject(policy, subject as Subject).map(i => [i.path, i.code])
  t.same(issues(me(['clerk'], { attributes: { approval_limit: 10, region: 'north', clearance: 'low', certified: true, teams: ['a'], hired: '2026-01-01T00:00:00Z' } })), [])
  t.same(issues(me(['clerk'], { attributes: { approval_limit: '10', shoe_size: 44 } as any })), [['/attributes/approval_limit', 'invalid_type'], ['/attributes/shoe_size', 'unknown_property']])
  t.same(issues(me(['clerk'], { attributes: [] as any })), [['/attributes', 'invalid_type']])
  t.same(issues(me(['clerk'], { overrides: { modules: { invoices: { when: { view: "resource.status == 'draft'" } } } } })), [])
  t.same(issues(me(['clerk'], { overrides: { modules: { invoices: { when: { view: 'resource.nope', paint: 'true', edit: 4 } } } } } as any)), [
    ['/overrides/modules/invoices/when/view', 'invalid_condition'],
    ['/overrides/modules/invoices/when/paint', 'unknown_action'],
    ['/overrides/modules/invoices/when/edit', 'invalid_type']
  ])
  t.same(issues(me(['clerk'], { overrides: { modules: { invoices: { when: 'true' } } } } as any)), [['/overrides/modules/invoices/when', 'invalid_type']])
  t.same(issues(me(['clerk'], { overrides: { modules: { trucks: { when: { go: 'nonsense(' } } } } })), [['/overrides/modules/trucks', 'unknown_module']])

  t.same(subjectAttributesFromProperties(policy, { approval_limit: 5, colour: 'red', region: 'south' }), { ok: true, attributes: { approval_limit: 5, region: 'south' } })
  t.same(subjectAttributesFromProperties(policy, undefined), { ok: true, attributes: {} })
  const wrong = subjectAttributesFromProperties(policy, { approval_limit: 'five', hired: 'monday' })
  t.same(wrong.ok ? [] : wrong.issues.map(i => [i.path, i.code]), [['/approval_limit', 'invalid_type'], ['/hired', 'invalid_value']])
  const notObject = subjectAttributesFromProperties(policy, 'x')
  t.same(notObject.ok ? [] : notObject.issues.map(i => [i.path, i.code]), [['', 'invalid_type']])
})

t.test('the role view shows conditions: a grant\'s per action, an action\'s in the declarations', async t => {
  t.same(rolePermission(policy, 'clerk', 'invoices', 'approve'), { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [], when: 'resource.amount <= subject.approval_limit' })
  t.same(rolePermission(policy, 'clerk', 'invoices', 'view'), { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [] })
  const actions = moduleDeclaration(policy, 'invoices')?.actions ?? []
  t.same(actions.find(a => a.name === 'edit'), { name: 'edit', level: 'management', flags: [], when: "resource.status != 'locked'" })
  t.same(actions.find(a => a.name === 'view'), { name: 'view', level: 'limited', flags: [] })
})

// --- Conformance: on well-typed inputs, the engine's tree decides as cel-js evaluates the CEL text.

/** Conditions whose reading deliberately differs from plain CEL: dyn strings compared as timestamps. */
const ENGINE_ONLY = new Set(['resource.due >= context.now', 'resource.due < timestamp(context.now)', 'resource.due in context.dates'])

t.test('the engine evaluates as cel-js does, on well-typed values', async t => {
  const module = policy.modules.get('invoices')
  if (module === undefined) throw new Error('no invoices')
  const env = new Environment({ unlistedVariablesAreDyn: false })
    .registerVariable('resource', { schema: { id: 'string', author: 'list<string>', responsible: 'list<string>', status: 'string', amount: 'double', tags: 'list<string>', due: 'google.protobuf.Timestamp', archived: 'bool', region: 'string' } })
    .registerVariable('subject', { schema: { id: 'string', roles: 'list<string>', approval_limit: 'double', region: 'string', clearance: 'string', certified: 'bool', teams: 'list<string>', hired: 'google.protobuf.Timestamp' } })
    .registerVariable('action', 'map<string, dyn>')
    .registerVariable('context', 'map<string, dyn>')
  const checked = PLANNED.filter(c => !ENGINE_ONLY.has(c)).map(text => ({ text, run: env.parse(text), condition: module.conditions.onResource(text) }))
  const str = (...v: string[]): fc.Arbitrary<string | undefined> => fc.option(fc.constantFrom(...v), { nil: undefined })
  const num = (...v: number[]): fc.Arbitrary<number | undefined> => fc.option(fc.constantFrom(...v), { nil: undefined })
  const arb = fc.record({
    id: fc.constantFrom('I-1', 'I-2', 'INV-7'),
    author: fc.subarray(['u1', 'u2']),
    status: str('draft', 'sent', 'paid', 'locked'),
    amount: num(0, 1, 2, 5, 50, 99.5, 100, 1000.5),
    tags: fc.option(fc.subarray(['a', 'urgent']), { nil: undefined }),
    due: str('2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z', '2025-12-31T23:00:00Z'),
    archived: fc.option(fc.boolean(), { nil: undefined }),
    region: str('north', 'south', ''),
    limit: num(0, 50, 100),
    sregion: str('north', 'south'),
    certified: fc.option(fc.boolean(), { nil: undefined }),
    teams: fc.option(fc.subarray(['north', 'east']), { nil: undefined }),
    hired: str('2026-01-01T00:00:00Z', '2026-03-01T11:00:00Z'),
    astatus: str('open', 'closed'),
    target: str('I-1', 'INV-7'),
    level: num(1, 4),
    ids: fc.option(fc.subarray(['I-1', 'INV-7']), { nil: undefined })
  })
  let compared = 0
  let held = 0
  fc.assert(fc.property(arb, v => {
    const attributes = defined({ status: v.status, amount: v.amount, tags: v.tags, due: v.due, archived: v.archived, region: v.region })
    const resource = invoice(attributes, { id: v.id, relations: { author: v.author } })
    const subjectAttributes = defined({ approval_limit: v.limit, region: v.sregion, certified: v.certified, teams: v.teams, hired: v.hired })
    const subject = me(['tester'], { attributes: subjectAttributes as Subject['attributes'] })
    const inputs: ConditionInputs = { actionProperties: defined({ status: v.astatus, target: v.target }), context: defined({ level: v.level, ids: v.ids }) }
    const asDates = (record: Record<string, unknown>, key: string): Record<string, unknown> =>
      typeof record[key] === 'string' ? { ...record, [key]: new Date(record[key] as string) } : record
    const activation = {
      resource: { id: v.id, author: v.author, responsible: [], ...asDates(attributes, 'due') },
      subject: { id: 'u1', roles: ['tester'], ...asDates(subjectAttributes, 'hired') },
      action: inputs.actionProperties,
      context: inputs.context
    }
    for (const c of checked) {
      let cel: boolean
      try {
        cel = c.run(activation) === true
      } catch {
        cel = false
      }
      const engine = decide(policy, { subject, action: ACTIONS[PLANNED.indexOf(c.text)] as string, resource, ...inputs }).allowed
      if (cel !== engine) throw new Error(`${c.text}: cel-js ${String(cel)}, engine ${String(engine)} on ${JSON.stringify(activation)}`)
      compared++
      if (cel) held++
    }
  }), { seed: 5, numRuns: 300 })
  t.ok(compared > 10000 && held > compared / 5 && held < compared * 4 / 5, `${compared} evaluations compared, ${held} true`)
})
