import t from 'tap'
import type { Bundle, DecisionRequest, ModuleOverride, Overrides, ResourceFacts, Subject } from '../../src/engine/index.js'
import { allowedActions, compileBundle, compileSubject, decide, planSearch } from '../../src/engine/index.js'
import { MAX_SHARED_PROFILES } from '../../src/engine/compiled-subject.js'
import { ancestorsOf } from '../search/oracle.js'
import { Rng, generateTenant } from '../search/generator.js'
import { cases, job, res, sub } from './fixtures/decision-cases.js'
import { richPolicy } from './fixtures/rich-bundle.js'

/** A decision as the wire carries it. */
const wire = (request: DecisionRequest, policy = richPolicy()): string => JSON.stringify(decide(policy, request))

t.test('a compiled subject decides every case of the decision table exactly as the plain subject', async t => {
  const policy = richPolicy()
  for (const c of cases) {
    if (c.subject === null) continue
    const request: DecisionRequest = { subject: c.subject, action: c.action, resource: c.resource }
    if (c.ancestors !== undefined) request.ancestors = c.ancestors
    const plain = decide(policy, request)
    const compiled = decide(policy, { ...request, subject: compileSubject(policy, c.subject) })
    t.equal(compiled.reason.message, plain.reason.message, `${c.name}: message`)
    t.equal(JSON.stringify(compiled), JSON.stringify(plain), `${c.name}: decision`)
    t.same(allowedActions(policy, compileSubject(policy, c.subject), c.resource, c.ancestors), allowedActions(policy, c.subject, c.resource, c.ancestors), `${c.name}: allowed actions`)
  }
})

t.test('compiled subjects decide as plain ones on generated tenants (ACLs, ancestors, projects, overrides)', async t => {
  for (let seed = 1; seed <= 12; seed++) {
    const tenant = generateTenant(new Rng(seed))
    const compiled = compileBundle(tenant.bundle)
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
    const policy = compiled.policy
    const subjects = new Map(tenant.subjects.map(s => [s, compileSubject(policy, s)]))
    let differing = 0
    let count = 0
    for (const module of tenant.modules) {
      const resources = tenant.resources.get(module.name) ?? []
      const byId = new Map(resources.map(r => [r.id, r]))
      for (const resource of resources) {
        const ancestors = ancestorsOf(byId, resource)
        for (const [subject, cs] of subjects) {
          for (const action of module.actions) {
            count++
            if (wire({ subject, action, resource, ancestors }, policy) !== wire({ subject: cs, action, resource, ancestors }, policy)) differing++
          }
        }
      }
    }
    t.equal(differing, 0, `seed ${seed}: ${count} decisions`)
  }
})

t.test('subjects alike in roles, flags and overrides share their contexts; others do not', async t => {
  const policy = richPolicy()
  const jobs = policy.modules.get('jobs')
  if (jobs === undefined) throw new Error('no jobs module')
  const a = compileSubject(policy, sub('a', ['employee'], { groups: ['crew'] }))
  const b = compileSubject(policy, sub('b', ['employee'], { aliases: ['bee'] }))
  const c = compileSubject(policy, sub('c', ['employee'], { overrides: { modules: { jobs: { deny: ['note'] } } } }))
  const d = compileSubject(policy, sub('d', ['employee'], { projects: { p1: ['manager'] } }))
  t.equal(a.context(jobs, undefined), b.context(jobs, undefined), 'same roles: one context')
  t.not(a.context(jobs, undefined), c.context(jobs, undefined), 'an override: another context')
  t.equal(d.context(jobs, 'p2'), a.context(jobs, undefined), 'no roles in the project: the tenant-wide context')
  t.not(d.context(jobs, 'p1'), a.context(jobs, undefined), 'roles in the project: another context')
  t.equal(d.context(jobs, 'p1'), d.context(jobs, 'p1'), 'a project context is built once')
  t.equal(decide(policy, { subject: b, action: 'view', resource: job({ assignee: ['bee'] }) }).allowed, true, 'names stay the subject\'s own')
  t.equal(decide(policy, { subject: a, action: 'view', resource: job({ assignee: ['bee'] }) }).allowed, false, 'names stay the subject\'s own')
})

t.test('a subject compiled under another policy decides under the policy given', async t => {
  const bundle = (level: 'limited' | 'full'): Bundle => ({
    version: 1,
    modules: { jobs: { actions: { view: { level: 'limited' }, close: { level: 'full' } } } },
    roles: { worker: { modules: { jobs: { access: 'all', level } } } }
  })
  const before = compileBundle(bundle('limited'))
  const after = compileBundle(bundle('full'))
  if (!before.ok || !after.ok) throw new Error('bundles do not compile')
  const cs = compileSubject(before.policy, sub('u1', ['worker']))
  const resource = res('jobs', 'j1')
  t.equal(decide(before.policy, { subject: cs, action: 'close', resource }).reason.code, 'level_insufficient')
  t.equal(decide(after.policy, { subject: cs, action: 'close', resource }).reason.code, 'role_grant', 'not the stale compiled subject')
  t.same(allowedActions(after.policy, cs, resource), ['view', 'close'])
  t.same(planSearch(after.policy, cs, 'close', 'jobs', { hasAcls: false, aclConditions: [] }), { kind: 'always' })
})

t.test('reasons read and serialize as { code, message }; field lists are frozen', async t => {
  const policy = richPolicy()
  const d = decide(policy, { subject: sub('u1', ['manager']), action: 'view', resource: job() })
  t.equal(JSON.stringify(d.reason), JSON.stringify({ code: d.reason.code, message: d.reason.message }))
  t.equal(d.reason.message, d.reason.message, 'the message is stable')
  t.ok(Object.isFrozen(d.fields) && Object.isFrozen(d.fields?.visible) && Object.isFrozen(d.fields?.editable), 'frozen')
  const again = decide(policy, { subject: compileSubject(policy, sub('u1', ['manager'])), action: 'view', resource: job() })
  t.same(again.fields, d.fields)
})

t.test('field lists are right for any set of granting grants, beyond the remembered sets and the mask width', async t => {
  const relations = Array.from({ length: 9 }, (_, i) => `r${i}`)
  const manyRelations = compileBundle({
    version: 1,
    modules: { jobs: { relations, actions: { view: { level: 'limited' } }, fields: Object.fromEntries(relations.map(r => [`f_${r}`, {}])) } },
    roles: Object.fromEntries(relations.map((r, i) => [`role${i}`, { modules: { jobs: { access: [r], level: 'limited', fields: { [`f_${r}`]: 'hidden' } } } }]))
  })
  if (!manyRelations.ok) throw new Error(JSON.stringify(manyRelations.issues))
  const policy = manyRelations.policy
  const subject: Subject = sub('u1', relations.map((_, i) => `role${i}`))
  const cs = compileSubject(policy, subject)
  let differing = 0
  for (let mask = 1; mask < 1 << relations.length; mask++) {
    const resource: ResourceFacts = res('jobs', `j${mask}`, Object.fromEntries(relations.filter((_, i) => (mask & (1 << i)) !== 0).map(r => [r, ['u1']])))
    if (wire({ subject, action: 'view', resource }, policy) !== wire({ subject: cs, action: 'view', resource }, policy)) differing++
  }
  t.equal(differing, 0, '511 granting sets')

  const roles = Array.from({ length: 40 }, (_, i) => `role${i}`)
  const manyRoles = compileBundle({
    version: 1,
    modules: { jobs: { relations: ['assignee'], actions: { view: { level: 'limited' } }, fields: { a: {}, b: {} } } },
    roles: Object.fromEntries(roles.map((r, i) => [r, { modules: { jobs: { access: i === 35 ? 'all' : ['assignee'], level: i === 35 ? 'full' : 'limited', fields: { a: 'hidden' } } } }]))
  })
  if (!manyRoles.ok) throw new Error(JSON.stringify(manyRoles.issues))
  const holder = sub('u1', roles)
  const d = decide(manyRoles.policy, { subject: compileSubject(manyRoles.policy, holder), action: 'view', resource: res('jobs', 'j1') })
  t.same(d.fields, { visible: ['b'], editable: ['b'] }, 'only the 36th grant grants')
  t.equal(JSON.stringify(d), wire({ subject: holder, action: 'view', resource: res('jobs', 'j1') }, manyRoles.policy))
})

t.test('the policy\'s profile memo stops growing at its bound, and later subjects decide the same', async t => {
  const policy = richPolicy()
  const subjects = Array.from({ length: MAX_SHARED_PROFILES + 20 }, (_, i) =>
    sub(`u${i}`, ['employee'], { overrides: { modules: { jobs: { allow: [`unknown${i}`], level: 'management' } } } }))
  const resource = job({ assignee: [`u${MAX_SHARED_PROFILES + 19}`] })
  for (const subject of subjects) decide(policy, { subject: compileSubject(policy, subject), action: 'edit', resource })
  t.equal(policy.profiles.size, MAX_SHARED_PROFILES)
  const last = subjects.at(-1) as Subject
  t.equal(wire({ subject: compileSubject(policy, last), action: 'edit', resource }, policy), wire({ subject: last, action: 'edit', resource }, policy))
})

t.test('profiles tell apart overrides that decide differently, unvalidated ones included', async t => {
  const policy = richPolicy()
  const variants: unknown[] = [
    undefined, {}, { access: 'all' }, { access: 'assigned' }, { access: ['assignee'] }, { access: ['creator', 5] }, { access: 5 }, { access: 'none' },
    { level: 'full' }, { level: 'management' }, { level: 7 }, { level: 'top' }, { allow: ['close'] }, { deny: ['view'] }, { allow: 'close' }, 'all'
  ]
  const subjects = variants.map((jobs, i) => sub(`u${i}`, ['employee'], jobs === undefined ? {} : { overrides: { modules: { jobs } } } as Partial<Subject>))
  const resources = [job(), job({ assignee: ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10', 'u11', 'u12', 'u13', 'u14', 'u15'] }), job({ creator: ['u5'] })]
  const jobs = policy.modules.get('jobs')
  let differing = 0
  for (const subject of subjects) {
    const cs = compileSubject(policy, subject)
    for (const resource of resources) {
      for (const action of jobs?.actions ?? []) {
        if (wire({ subject, action, resource }, policy) !== wire({ subject: cs, action, resource }, policy)) differing++
      }
    }
  }
  t.equal(differing, 0)
})

/** Two values of each field of a type: typed so that a field added to the type fails to compile here until it gets its pair. */
type FieldPairs<T> = { [K in keyof Required<T>]: [T[K], T[K]] }

t.test('two subjects that differ in any single override field never share a profile', async t => {
  const policy = richPolicy()
  const jobs = policy.modules.get('jobs')
  if (jobs === undefined) throw new Error('no jobs module')
  const base: ModuleOverride = { access: 'assigned', level: 'limited', allow: ['close'], deny: ['note'] }
  const moduleFields: FieldPairs<ModuleOverride> = {
    access: ['all', ['creator']],
    level: ['management', 'full'],
    allow: [['edit'], ['edit', 'close']],
    deny: [['view'], ['note', 'view']],
    when: [{ edit: "subject.id == 'u1'" }, { edit: "subject.id == 'u2'" }]
  }
  const topFields: FieldPairs<Overrides> = {
    flags: [{ manage_prices: true }, { manage_prices: false }],
    modules: [{ jobs: base, tickets: {} }, { jobs: base, invoices: { access: 'all' } }]
  }
  const contextOf = (overrides: unknown): unknown =>
    compileSubject(policy, sub('u1', ['employee'], { overrides } as Partial<Subject>)).context(jobs, undefined)
  const baseContext = contextOf({ modules: { jobs: base } })
  for (const [field, values] of Object.entries(moduleFields)) {
    const [a, b] = values.map(v => contextOf({ modules: { jobs: { ...base, [field]: v } } }))
    t.not(a, baseContext, `module override \`${field}\`: another profile than the base`)
    t.not(a, b, `module override \`${field}\`: two values, two profiles`)
  }
  for (const [field, values] of Object.entries(topFields)) {
    const [a, b] = values.map(v => contextOf({ modules: { jobs: base }, [field]: v }))
    t.not(a, b, `overrides \`${field}\`: two values, two profiles`)
  }
  // A field the engine does not read today (conditions will be one): it is in the key already.
  t.not(contextOf({ modules: { jobs: { ...base, when: { edit: 'a' } } } }), contextOf({ modules: { jobs: { ...base, when: { edit: 'b' } } } }), 'a field not known yet')
  t.not(contextOf({ modules: { jobs: base }, acl: 1 }), contextOf({ modules: { jobs: base }, acl: 2 }), 'a top-level field not known yet')
  t.equal(contextOf({ modules: { jobs: { deny: ['note'], allow: ['close'], level: 'limited', access: 'assigned' } } }), baseContext, 'the same overrides written in another key order: one profile')
})

t.test('override values of every type are told apart; overrides that cannot be serialized share nothing and still decide', async t => {
  const policy = richPolicy()
  const jobs = policy.modules.get('jobs')
  if (jobs === undefined) throw new Error('no jobs module')
  const subjectWith = (level: unknown): Subject => sub('u1', ['employee'], { overrides: { modules: { jobs: { level } } } } as Partial<Subject>)
  const levels: unknown[] = ['1', 1, 0, -0, Number.NaN, null, undefined, true, false, 1n, [1], ['1'], [], {}, { a: 1 }, { b: 1 }, [undefined], [null]]
  const contexts = levels.map(level => compileSubject(policy, subjectWith(level)).context(jobs, undefined))
  t.equal(new Set(contexts).size, levels.length, 'one profile per value')
  t.equal(compileSubject(policy, subjectWith([1])).context(jobs, undefined), contexts[10], 'equal values share one')

  const cyclic: Record<string, unknown> = { access: 'all', level: 'full' }
  cyclic.self = cyclic
  const repeated = { access: 'all' }
  const unserializable: unknown[] = [cyclic, { level: () => 'full' }, { level: Symbol('full') }]
  for (const jobsOverride of unserializable) {
    const subject = sub('u1', ['employee'], { overrides: { modules: { jobs: jobsOverride } } } as Partial<Subject>)
    const a = compileSubject(policy, subject)
    const b = compileSubject(policy, subject)
    t.not(a.context(jobs, undefined), b.context(jobs, undefined), 'no shared profile')
    for (const action of jobs.actions) t.equal(wire({ subject: a, action, resource: job() }, policy), wire({ subject, action, resource: job() }, policy), `decides as the plain subject: ${action}`)
  }
  // The same object twice is not a cycle.
  const twice = sub('u1', ['employee'], { overrides: { modules: { jobs: repeated, tickets: repeated } } } as Partial<Subject>)
  t.equal(compileSubject(policy, twice).context(jobs, undefined), compileSubject(policy, twice).context(jobs, undefined), 'a value met twice is shared')
})
