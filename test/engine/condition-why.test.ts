/**
 * The sentence of a `condition_failed` deny (issue 14): after the condition, each part
 * that failed (quoted when it is not the whole condition) with every value it read,
 * named with its owner. One row per operator and per kind of input, with the exact
 * sentence: a support person reads these.
 */
import t from 'tap'
import type { Bundle, CompiledPolicy, ConditionInputs, ResourceFacts, Subject } from '../../src/engine/index.js'
import { compileBundle, decide } from '../../src/engine/index.js'
import { sourceOf } from '../../src/engine/condition-why.js'

interface Row {
  name: string
  when: string
  subject?: Partial<Subject>
  resource?: Partial<ResourceFacts>
  inputs?: ConditionInputs
  /** What follows "`aN` on `invoices` needs `<when>`" ('' when nothing does). */
  says: string
}

const NOW = { now: '2026-12-01T00:00:00Z' }

const rows: Row[] = [
  // Comparisons, each input kind.
  { name: 'an enum differs', when: "resource.status != 'locked'", says: "; `INV-7`'s `status` is `locked`" },
  { name: 'an enum equals', when: "resource.status == 'draft'", says: "; `INV-7`'s `status` is `locked`" },
  { name: 'a number below a literal', when: 'resource.amount < 100.0', says: "; `INV-7`'s `amount` is 9000" },
  { name: 'a number against a subject attribute', when: 'resource.amount <= subject.approval_limit', says: "; `INV-7`'s `amount` is 9000 and `paul`'s `approval_limit` is 5000" },
  { name: 'a number against a context value', when: 'resource.amount > context.min', inputs: { context: { min: 10000 } }, says: "; `INV-7`'s `amount` is 9000 and the context's `min` is 10000" },
  { name: 'a number against an action property', when: 'resource.amount >= action.amount', inputs: { actionProperties: { amount: 9001 } }, says: "; `INV-7`'s `amount` is 9000 and the action's `amount` is 9001" },
  { name: 'a missing resource attribute', when: 'resource.amount < 100.0', resource: { attributes: {} }, says: '; `INV-7` has no `amount`' },
  { name: 'a missing subject attribute', when: 'resource.amount <= subject.approval_limit', subject: { attributes: {} }, says: "; `INV-7`'s `amount` is 9000 and `paul` has no `approval_limit`" },
  { name: 'the request\'s subject attribute, not the stored one', when: 'resource.amount <= subject.approval_limit', inputs: { subjectAttributes: { approval_limit: 10 } }, says: "; `INV-7`'s `amount` is 9000 and `paul`'s `approval_limit` is 10" },
  { name: 'a missing action property', when: "action.status == 'open'", says: '; the request has no action property `status`' },
  { name: 'a new status in the action properties', when: "action.status != 'closed'", inputs: { actionProperties: { status: 'closed' } }, says: "; the action's `status` is `closed`" },
  { name: 'a missing context path', when: "context.a.b == 'x'", says: '; the request has no context `a.b`' },
  { name: 'a context path', when: "context['a'].b == 'x'", inputs: { context: { a: { b: 'y' } } }, says: "; the context's `a.b` is `y`" },
  { name: 'a context value of another type', when: 'context.level > 3', inputs: { context: { level: '4' } }, says: "; the context's `level` is `4`" },
  { name: 'a context object', when: "context.a == 'x'", inputs: { context: { a: { b: 1 } } }, says: "; the context's `a` is `{\"b\":1}`" },
  { name: 'a value read twice is named once', when: 'action.a == action.a', says: '; the request has no action property `a`' },
  { name: 'a string order', when: "resource.region < 'm'", says: "; `INV-7`'s `region` is `north`" },
  // Timestamps.
  { name: 'a timestamp against a literal', when: "resource.due < timestamp('2026-06-01T00:00:00Z')", says: "; `INV-7`'s `due` is `2026-12-08T00:00:00Z`" },
  { name: 'a timestamp against the context', when: 'resource.due < timestamp(context.now)', inputs: { context: NOW }, says: "; `INV-7`'s `due` is `2026-12-08T00:00:00Z` and the context's `now` is `2026-12-01T00:00:00Z`" },
  { name: 'a subject timestamp (the resource is named first)', when: 'subject.hired > resource.due', says: "; `INV-7`'s `due` is `2026-12-08T00:00:00Z` and `paul`'s `hired` is `2026-01-01T00:00:00Z`" },
  // `in`.
  { name: 'in a list literal', when: "resource.status in ['draft', 'sent']", says: "; `INV-7`'s `status` is `locked`" },
  { name: 'a literal in a list attribute', when: "'x' in resource.tags", says: "; `INV-7`'s `tags` is [`urgent`]" },
  { name: 'a literal in an empty list attribute', when: "'x' in resource.tags", resource: { attributes: { tags: [] } }, says: "; `INV-7`'s `tags` is empty" },
  { name: 'the subject in a relation', when: 'subject.id in resource.author', says: "; the subject is `paul` and `INV-7`'s `author` is [`marie`]" },
  { name: 'the subject in a relation the resource does not give', when: 'subject.id in resource.author', resource: { relations: {} }, says: '; the subject is `paul` and `INV-7` has no `author`' },
  { name: 'a role in the subject\'s roles', when: "'admin' in subject.roles", says: "; `paul`'s roles are [`clerk`, `viewer`]" },
  { name: 'a role, the subject holding none', when: "'admin' in subject.roles", subject: { roles: [] }, says: '; `paul` has no tenant-wide role' },
  { name: 'a resource value in a subject list', when: 'resource.region in subject.teams', subject: { attributes: { teams: ['south'] } }, says: "; `INV-7`'s `region` is `north` and `paul`'s `teams` is [`south`]" },
  { name: 'a resource value in an action list', when: 'resource.status in action.allowed', inputs: { actionProperties: { allowed: ['draft', 2] } }, says: "; `INV-7`'s `status` is `locked` and the action's `allowed` is [`draft`, 2]" },
  { name: 'the resource id in a context list', when: 'resource.id in context.ids', inputs: { context: { ids: ['A'] } }, says: "; the resource is `INV-7` and the context's `ids` is [`A`]" },
  { name: 'the resource id', when: "resource.id == 'A'", says: '; the resource is `INV-7`' },
  // `has()` and bare booleans.
  { name: 'has on a missing attribute', when: 'has(resource.due)', resource: { attributes: {} }, says: '; `INV-7` has no `due`' },
  { name: 'not has on a present attribute', when: '!has(resource.due)', says: "; `INV-7`'s `due` is `2026-12-08T00:00:00Z`" },
  { name: 'has on an action property', when: 'has(action.status)', says: '; the request has no action property `status`' },
  { name: 'a subject boolean', when: 'subject.certified', says: "; `paul`'s `certified` is false" },
  { name: 'a negated resource boolean', when: '!resource.archived', says: "; `INV-7`'s `archived` is true" },
  { name: 'a negated comparison on a missing attribute', when: '!(resource.amount > 5.0)', resource: { attributes: {} }, says: '; `INV-7` has no `amount`' },
  // `&&`, `||`, `!`: the parts that failed.
  { name: 'and: the part that failed', when: "resource.status != 'locked' && resource.amount < 100000.0", says: "; `resource.status != 'locked'` fails: `INV-7`'s `status` is `locked`" },
  {
    name: 'and: every part that failed',
    when: "resource.status != 'locked' && resource.amount <= subject.approval_limit",
    says: "; `resource.status != 'locked'` fails: `INV-7`'s `status` is `locked`; `resource.amount <= subject.approval_limit` fails: `INV-7`'s `amount` is 9000 and `paul`'s `approval_limit` is 5000"
  },
  {
    name: 'or: every alternative',
    when: "!has(action.status) || action.status != 'closed' || subject.id in resource.author",
    inputs: { actionProperties: { status: 'closed' } },
    says: "; `!has(action.status)` fails: the action's `status` is `closed`; `action.status != 'closed'` fails: the action's `status` is `closed`; `subject.id in resource.author` fails: the subject is `paul` and `INV-7`'s `author` is [`marie`]"
  },
  { name: 'not of an or: the part that holds', when: "!(resource.archived || resource.status == 'draft')", says: "; `resource.archived` holds: `INV-7`'s `archived` is true" },
  {
    name: 'not of an and: each part holds',
    when: "!(resource.amount > 10.0 && (resource.status == 'locked'))",
    says: "; `resource.amount > 10.0` holds: `INV-7`'s `amount` is 9000; `resource.status == 'locked'` holds: `INV-7`'s `status` is `locked`"
  },
  { name: 'not of an and with an error: the error fails, the other holds', when: '!(resource.amount > 5.0 && resource.archived)', resource: { attributes: { archived: true } }, says: "; `resource.amount > 5.0` fails: `INV-7` has no `amount`; `resource.archived` holds: `INV-7`'s `archived` is true" },
  { name: 'a double negation in an alternative keeps its parentheses', when: "context.x == ')' || !(!(resource.amount < 3.0))", says: "; `context.x == ')'` fails: the request has no context `x`; `!(!(resource.amount < 3.0))` fails: `INV-7`'s `amount` is 9000" },
  { name: 'a parenthesized operand', when: '(resource.amount) <= 5.0 || resource.archived == false', says: "; `(resource.amount) <= 5.0` fails: `INV-7`'s `amount` is 9000; `resource.archived == false` fails: `INV-7`'s `archived` is true" },
  { name: 'a constant alternative', when: 'resource.archived == false || false', says: "; `resource.archived == false` fails: `INV-7`'s `archived` is true; `false` fails" },
  { name: 'a constant', when: 'false', says: '' }
]

const ACTIONS = rows.map((_, i) => `a${i}`)

const bundle: Bundle = {
  version: 1,
  subject_attributes: { approval_limit: 'number', certified: 'boolean', hired: 'timestamp', teams: ['string'] },
  modules: {
    invoices: {
      relations: ['author'],
      attributes: {
        status: { enum: ['draft', 'sent', 'paid', 'locked'] },
        amount: 'number',
        due: 'timestamp',
        tags: ['string'],
        archived: 'boolean',
        region: 'string'
      },
      actions: {
        approve: { level: 'limited' },
        ...Object.fromEntries(rows.map((r, i) => [ACTIONS[i], { level: 'limited' as const, when: r.when }]))
      }
    }
  },
  roles: {
    clerk: { modules: { invoices: { access: 'all', level: 'full', when: { approve: 'resource.amount <= subject.approval_limit' } } } },
    viewer: {}
  }
}

function compiled (b: Bundle): CompiledPolicy {
  const c = compileBundle(b)
  if (!c.ok) throw new Error(JSON.stringify(c.issues))
  return c.policy
}
const policy = compiled(bundle)

const paul = (extra: Partial<Subject> = {}): Subject => ({
  id: 'paul',
  roles: ['clerk', 'viewer'],
  attributes: { approval_limit: 5000, certified: false, hired: '2026-01-01T00:00:00Z', teams: ['north'] },
  ...extra
})
const inv7 = (extra: Partial<ResourceFacts> = {}): ResourceFacts => ({
  module: 'invoices',
  id: 'INV-7',
  relations: { author: ['marie'] },
  attributes: { status: 'locked', amount: 9000, due: '2026-12-08T00:00:00Z', tags: ['urgent'], archived: true, region: 'north' },
  ...extra
})

t.test('a failing action condition names each value the failing part read', async t => {
  rows.forEach((r, i) => {
    const d = decide(policy, { subject: paul(r.subject), action: ACTIONS[i] as string, resource: inv7(r.resource), ...r.inputs })
    t.equal(d.reason.code, 'condition_failed', r.name)
    t.equal(d.reason.message, `\`${ACTIONS[i] as string}\` on \`invoices\` needs \`${r.when}\`${r.says}`, r.name)
  })
})

t.test('a failing grant condition names the grant, then the values', async t => {
  const d = decide(policy, { subject: paul(), action: 'approve', resource: inv7() })
  t.equal(d.reason.message,
    "`approve` on `invoices` needs `resource.amount <= subject.approval_limit` (role `clerk`, for `paul`); `INV-7`'s `amount` is 9000 and `paul`'s `approval_limit` is 5000")
  t.same(JSON.parse(JSON.stringify(d.reason)), { code: 'condition_failed', message: d.reason.message })
})

t.test('a failing override condition names the override, then the values', async t => {
  const subject = paul({ roles: [], overrides: { modules: { invoices: { access: 'all', allow: ['approve'], when: { approve: "resource.status == 'draft'" } } } } })
  const d = decide(policy, { subject, action: 'approve', resource: inv7() })
  t.equal(d.reason.message, "`approve` on `invoices` needs `resource.status == 'draft'` (the per-user override, for `paul`); `INV-7`'s `status` is `locked`")
})

t.test('a part\'s source takes in the parentheses its span opens or closes', async t => {
  t.equal(sourceOf('!(a) || b', [0, 3]), '!(a)', 'a `!(` span ends before its `)`')
  t.equal(sourceOf('(a) <= 5.0', [1, 10]), '(a) <= 5.0', 'an operand in parentheses')
  t.equal(sourceOf("!(a == ')')", [0, 10]), "!(a == ')')", 'a parenthesis in a string is not counted')
  t.equal(sourceOf("!(a == '\\'(')", [0, 12]), "!(a == '\\'(')", 'an escaped quote does not end the string')
  t.equal(sourceOf('!(a', [0, 3]), '!(a', 'no closing parenthesis: the span as it is')
  t.equal(sourceOf('a) b', [0, 2]), 'a)', 'no opening parenthesis: the span as it is')
  t.equal(sourceOf('a || b', undefined), 'a || b', 'no span: the whole text')
})
