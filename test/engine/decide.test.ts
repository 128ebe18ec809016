import t from 'tap'
import type { AclEntry, DecisionRequest, Subject } from '../../src/engine/index.js'
import { allowedActions, compileBundle, decide } from '../../src/engine/index.js'
import { assignedJob, cases, job, res, sub } from './fixtures/decision-cases.js'
import { richPolicy } from './fixtures/rich-bundle.js'

const policy = richPolicy()

t.test('decision table (docs/decisions/0001-decision-semantics.md)', async t => {
  for (const c of cases) {
    t.test(c.name, async t => {
      const request: DecisionRequest = { subject: c.subject ?? undefined, action: c.action, resource: c.resource }
      if (c.subjectId !== undefined) request.subjectId = c.subjectId
      if (c.ancestors !== undefined) request.ancestors = c.ancestors
      const d = decide(policy, request)
      t.equal(d.allowed, c.want.allowed, 'allowed')
      t.equal(d.reason.code, c.want.reason, `reason (${d.reason.message})`)
      if (c.want.fields === 'none') t.equal(d.fields, undefined, 'no fields')
      else if (c.want.fields !== undefined) t.same(d.fields, c.want.fields, 'fields')
      if (!d.allowed) t.equal(d.fields, undefined, 'a deny carries no fields')
      for (const s of c.want.says ?? []) t.ok(d.reason.message.includes(s), `message \`${d.reason.message}\` says \`${s}\``)
      t.notOk(/[\n.]$|^[A-Z]|\n/.test(d.reason.message), 'one lowercase line without final period')
    })
  }
})

t.test('every message after step 1b names the subject, the action and the module', async t => {
  for (const c of cases) {
    if (c.subject === null) continue
    const d = decide(policy, { subject: c.subject, action: c.action, resource: c.resource, ancestors: c.ancestors ?? [] })
    if (['subject_inactive', 'subject_login_disabled', 'module_unknown', 'action_unknown'].includes(d.reason.code)) continue
    const m = d.reason.message
    t.ok(m.includes(`\`${c.subject.id}\``) && m.includes(`\`${c.action}\``) && m.includes(`\`${c.resource.module}\``), `${c.name}: ${m}`)
  }
})

t.test('allowedActions lists exactly the actions decide allows', async t => {
  for (const c of cases) {
    const module = policy.modules.get(c.resource.module)
    const listed = allowedActions(policy, c.subject ?? undefined, c.resource, c.ancestors)
    const expected = (module?.actions ?? []).filter(action =>
      decide(policy, { subject: c.subject ?? undefined, action, resource: c.resource, ancestors: c.ancestors ?? [] }).allowed)
    t.same(listed, expected, c.name)
  }
  t.same(allowedActions(policy, sub('boss', [], { owner: true }), res('invoices', 'i1')), ['view', 'edit', 'approve'], 'the owner may do every action')
  t.same(allowedActions(policy, undefined, res('invoices', 'i1')), [], 'an unknown subject may do nothing')
  t.same(allowedActions(policy, sub('u1', ['superuser'], { login: false }), res('invoices', 'i1')), [], 'a login: false subject may do nothing')
  t.same(allowedActions(policy, sub('u1', ['superuser']), res('trucks', 't1')), [], 'nothing on an unknown module')
  t.same(allowedActions(policy, sub('u1', ['employee']), assignedJob), ['view', 'note', 'punch'], 'employee on an assigned job')
})

t.test('decide is total on malformed subjects and resources', async t => {
  const odd = {
    id: 'u1',
    roles: 'manager',
    aliases: null,
    groups: 7,
    projects: ['x'],
    overrides: { flags: [], modules: { jobs: 'all' } }
  } as unknown as Subject
  const d = decide(policy, { subject: odd, action: 'view', resource: { module: 'jobs', id: 'j1', relations: { assignee: 'u1' } as unknown as Record<string, string[]> } })
  t.same([d.allowed, d.reason.code], [false, 'no_grant'])
  const acl = decide(policy, { subject: sub('u1', ['employee']), action: 'view', resource: job({}, { acl: [null, { who: 5 }, { who: 'u1', allow: 'view' }] as unknown as AclEntry[] }) })
  t.same([acl.allowed, acl.reason.code], [false, 'acl_deny'])
  const noAncestors = decide(policy, { subject: sub('u1', ['manager']), action: 'view', resource: job(), ancestors: undefined })
  t.equal(noAncestors.allowed, true)
})

t.test('bitsets hold modules with more than 32 actions and policies with more than 32 flags', async t => {
  const actions = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`a${i}`, { level: i < 40 ? 'limited' : 'full', flags: i === 69 ? ['f65'] : [] }]))
  const flags = Object.fromEntries(Array.from({ length: 66 }, (_, i) => [`f${i}`, `flag ${i}`]))
  const compiled = compileBundle({
    version: 1,
    flags,
    modules: { big: { actions } },
    roles: { low: { modules: { big: { access: 'all', level: 'limited', allow: ['a45'], deny: ['a39'] } } }, holder: { flags: ['f65'] } }
  })
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
  const p = compiled.policy
  const r = res('big', 'b1')
  const low = allowedActions(p, sub('u1', ['low']), r)
  t.same(low, [...Array.from({ length: 39 }, (_, i) => `a${i}`), 'a45'])
  t.equal(decide(p, { subject: sub('u1', ['low'], { overrides: { modules: { big: { level: 'full' } } } }), action: 'a69', resource: r }).reason.code, 'flag_missing')
  t.equal(decide(p, { subject: sub('u1', ['low', 'holder'], { overrides: { modules: { big: { level: 'full' } } } }), action: 'a69', resource: r }).reason.code, 'override_grant')
  t.equal(decide(p, { subject: sub('u1', ['low', 'holder'], { overrides: { flags: { f65: false }, modules: { big: { level: 'full' } } } }), action: 'a69', resource: r }).reason.code, 'flag_missing')
})
