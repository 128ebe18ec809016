/**
 * Policy impact analysis (src/service/policy-diff): role permissions, field modes,
 * declarations and subjects, on crafted bundles and on the shipped templates, with
 * conditions on actions, grants and overrides.
 */
import { readFileSync } from 'node:fs'
import { Environment } from '@marcbachmann/cel-js'
import { Ajv } from 'ajv'
import t from 'tap'
import { parse } from 'yaml'
import type { Bundle, CompiledPolicy, Subject } from '../../src/engine/index.js'
import { compileBundle, decide } from '../../src/engine/index.js'
import { diffPolicies, formatDiffMarkdown, formatDiffText, policyDiffJsonSchema, subjectReach } from '../../src/service/policy-diff/index.js'
import type { PolicyDiff } from '../../src/service/policy-diff/index.js'

function compile (bundle: unknown): CompiledPolicy {
  const compiled = compileBundle(bundle)
  if (!compiled.ok) throw new Error(`test bundle does not compile: ${JSON.stringify(compiled.issues)}`)
  return compiled.policy
}

/** A deep copy the test may change. */
function copy<T> (value: T): T {
  return structuredClone(value)
}

const validateReport = new Ajv({ allErrors: true, strict: false }).compile(policyDiffJsonSchema)

/** Every report a test makes is checked against the published schema. */
function diff (before: unknown, after: unknown, subjects?: Subject[]): PolicyDiff {
  const report = diffPolicies(compile(before), compile(after), subjects === undefined ? {} : { subjects })
  if (validateReport(report) !== true) throw new Error(`report does not match its schema: ${JSON.stringify(validateReport.errors)}`)
  return report
}

const EMPTY_NAMES = { flags: [], modules: [], actions: [], fields: [], roles: [] }

/** The crafted acceptance bundle: a manager whose billing grant is `deny: [lock]`. */
const billing: Bundle = {
  version: 1,
  flags: { manage_prices: 'see prices' },
  modules: {
    billing: {
      relations: ['owner'],
      actions: {
        view: { level: 'limited' },
        receive: { level: 'management' },
        edit: { level: 'full' },
        lock: { level: 'full' }
      }
    },
    jobs: {
      relations: ['assignee', 'creator'],
      assigned: ['assignee'],
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management' },
        delete: { level: 'full' }
      },
      fields: { client: {}, price: { flags: ['manage_prices'] } }
    }
  },
  roles: {
    admin: { protected: true, all: true },
    manager: {
      flags: ['manage_prices'],
      modules: {
        billing: { access: 'all', level: 'full', deny: ['lock'] },
        jobs: { access: 'all', level: 'full' }
      }
    },
    employee: { modules: { jobs: { access: 'assigned', level: 'limited' } } }
  }
}

t.test('removing `deny: [lock]` from manager gains managers `billing.lock` and nothing else', async t => {
  const after = copy(billing)
  delete after.roles.manager?.modules?.billing?.deny
  const subjects: Subject[] = [
    { id: 'paul', roles: ['manager'] },
    { id: 'marie', roles: ['employee'] },
    { id: 'root', roles: ['admin'] }
  ]
  const report = diff(billing, after, subjects)
  t.same(report.permissions, [{
    role: 'manager',
    module: 'billing',
    action: 'lock',
    change: 'gained',
    before: { granted: false },
    after: { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [] }
  }])
  t.same(report.fields, [])
  t.same(report.added, EMPTY_NAMES)
  t.same(report.removed, EMPTY_NAMES)
  t.same(report.definitions, [])
  t.same(report.subjects, [{
    subject: 'paul',
    changes: [{ module: 'billing', action: 'lock', change: 'gained', before: { allowed: false }, after: { allowed: true, scope: { kind: 'all' }, custom: false } }],
    projects: []
  }])
  t.same(report.summary, { permissions: { gained: 1, lost: 0, changed: 0 }, fields: 0, declarations: 0, subjects: { checked: 3, affected: 1 } })
  t.equal(report.changed, true)
})

t.test('the site-orders template: dropping `create_reference` from the manager\'s billing deny list gains exactly `billing.create_reference`', async t => {
  const shipped = parse(readFileSync(new URL('../../src/templates/site-orders/bundle.yaml', import.meta.url), 'utf8')) as Bundle
  const grant = shipped.roles.manager?.modules?.billing
  // `create_reference`, not `lock`: `lock` now carries a condition on the invoice's status,
  // which subject reaches (probe resources without attributes) do not see.
  t.ok(grant?.deny?.includes('create_reference'), 'the shipped manager is denied `create_reference` on billing')
  const changed = copy(shipped)
  const billingGrant = changed.roles.manager?.modules?.billing
  if (billingGrant === undefined) throw new Error('unreachable')
  billingGrant.deny = (billingGrant.deny ?? []).filter(a => a !== 'create_reference')
  const report = diff(shipped, changed, [{ id: 'paul', roles: ['manager'] }, { id: 'olga', roles: [], projects: { 'site-12': ['operative'] } }])
  t.same(report.permissions.map(p => [p.role, p.module, p.action, p.change]), [['manager', 'billing', 'create_reference', 'gained']])
  t.equal(report.fields.length + report.definitions.length + report.summary.declarations, 0)
  t.same(report.subjects?.map(s => [s.subject, s.changes.map(c => `${c.module}.${c.action} ${c.change}`), s.projects]), [['paul', ['billing.create_reference gained'], []]])
})

t.test('the same policy, or one differing only in descriptions and order, is no difference', async t => {
  const reordered: Bundle = {
    version: 1,
    roles: Object.fromEntries(Object.entries(billing.roles).reverse()),
    modules: Object.fromEntries(Object.entries(billing.modules).reverse().map(([name, def]) => [name, { ...def, description: `the ${name}` }])),
    flags: { manage_prices: 'another description' }
  }
  for (const other of [billing, reordered]) {
    const report = diff(billing, other, [{ id: 'paul', roles: ['manager'] }])
    t.equal(report.changed, false)
    t.same(report.permissions, [])
    t.same(report.fields, [])
    t.same(report.definitions, [])
    t.same(report.subjects, [])
    t.same(report.summary, { permissions: { gained: 0, lost: 0, changed: 0 }, fields: 0, declarations: 0, subjects: { checked: 1, affected: 0 } })
  }
})

t.test('every shipped template diffed with itself is no difference', async t => {
  for (const name of ['site-orders', 'service-company', 'maintenance', 'construction-projects', 'field-crew']) {
    const bundle = parse(readFileSync(new URL(`../../src/templates/${name}/bundle.yaml`, import.meta.url), 'utf8'))
    t.equal(diff(bundle, bundle).changed, false, name)
  }
})

t.test('role permissions', async t => {
  await t.test('a lower level loses actions; scope changes are `changed` with both scopes', async t => {
    const after = copy(billing)
    after.roles.employee = { modules: { jobs: { access: 'all', level: 'limited', scope: { view: ['creator'] } } } }
    after.roles.manager!.modules!.jobs = { access: 'all', level: 'management' }
    const report = diff(billing, after)
    t.same(report.permissions, [
      {
        role: 'employee',
        module: 'jobs',
        action: 'view',
        change: 'changed',
        before: { granted: true, scope: { kind: 'assigned', relations: ['assignee'] }, flags: [], missingFlags: [] },
        after: { granted: true, scope: { kind: 'relations', relations: ['creator'] }, flags: [], missingFlags: [] }
      },
      {
        role: 'manager',
        module: 'jobs',
        action: 'delete',
        change: 'lost',
        before: { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [] },
        after: { granted: false }
      }
    ])
    t.same(report.summary.permissions, { gained: 0, lost: 1, changed: 1 })
  })

  await t.test('a module\'s `assigned` relations change the scope of `assigned` grants', async t => {
    const after = copy(billing)
    after.modules.jobs!.assigned = ['assignee', 'creator']
    const report = diff(billing, after)
    t.same(report.permissions.map(p => [p.role, p.action, p.after]), [
      ['employee', 'view', { granted: true, scope: { kind: 'assigned', relations: ['assignee', 'creator'] }, flags: [], missingFlags: [] }]
    ])
    t.same(report.definitions, [{
      kind: 'module',
      module: 'jobs',
      before: { relations: ['assignee', 'creator'], assigned: ['assignee'] },
      after: { relations: ['assignee', 'creator'], assigned: ['assignee', 'creator'] }
    }])
  })

  await t.test('a new flag requirement shows on every role granted the action, with the flags each lacks', async t => {
    const after = copy(billing)
    after.flags!.delete_entities = 'delete'
    after.modules.jobs!.actions.delete = { level: 'full', flags: ['delete_entities'] }
    const report = diff(billing, after)
    t.same(report.permissions, [{
      role: 'manager',
      module: 'jobs',
      action: 'delete',
      change: 'changed',
      before: { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [] },
      after: { granted: true, scope: { kind: 'all' }, flags: ['delete_entities'], missingFlags: ['delete_entities'] }
    }], 'the `all: true` admin needs no flag, so it does not change')
    t.same(report.added.flags, ['delete_entities'])
    t.same(report.definitions, [{ kind: 'action', module: 'jobs', action: 'delete', before: { level: 'full', flags: [] }, after: { level: 'full', flags: ['delete_entities'] } }])
  })

  await t.test('module admin and `all: true` are scopes of their own', async t => {
    const after = copy(billing)
    after.roles.manager!.modules!.billing = { admin: true }
    after.roles.admin = { protected: true, modules: { billing: { access: 'all', level: 'full' } } }
    const report = diff(billing, after)
    const manager = report.permissions.filter(p => p.role === 'manager')
    t.same(manager.map(p => [p.action, p.change, p.after.granted && p.after.scope.kind]), [
      ['view', 'changed', 'admin'], ['receive', 'changed', 'admin'], ['edit', 'changed', 'admin'], ['lock', 'gained', 'admin']
    ])
    const admin = report.permissions.filter(p => p.role === 'admin')
    t.same(admin.map(p => [p.module, p.action, p.change]), [
      ['billing', 'view', 'changed'], ['billing', 'receive', 'changed'], ['billing', 'edit', 'changed'], ['billing', 'lock', 'changed'],
      ['jobs', 'view', 'lost'], ['jobs', 'edit', 'lost'], ['jobs', 'delete', 'lost']
    ], 'actions keep their declaration order')
    t.same(admin[0]?.before, { granted: true, scope: { kind: 'all-role' }, flags: [], missingFlags: [] })
    t.same(report.definitions, [{ kind: 'role', role: 'admin', before: { all: true, protected: true, flags: [] }, after: { all: false, protected: true, flags: [] } }])
    t.same(report.fields.filter(f => f.role === 'admin'), [
      { role: 'admin', module: 'jobs', field: 'client', before: 'edit', after: 'hidden' },
      { role: 'admin', module: 'jobs', field: 'price', before: 'edit', after: 'hidden' }
    ])
  })

  await t.test('roles, modules and actions added or removed', async t => {
    const after = copy(billing)
    delete after.roles.employee
    after.roles.auditor = { modules: { billing: { access: 'all', allow: ['view'] } } }
    after.modules.jobs!.actions.archive = { level: 'full' }
    delete after.modules.jobs!.actions.edit
    after.modules.reports = { actions: { view: { level: 'limited' } } }
    const report = diff(billing, after)
    t.same(report.added, { flags: [], modules: ['reports'], actions: [{ module: 'jobs', action: 'archive' }], fields: [], roles: ['auditor'] })
    t.same(report.removed, { flags: [], modules: [], actions: [{ module: 'jobs', action: 'edit' }], fields: [], roles: ['employee'] })
    t.same(report.permissions.map(p => `${p.change} ${p.role} ${p.module}.${p.action}`), [
      'gained admin jobs.archive',
      'lost admin jobs.edit',
      'gained admin reports.view',
      'gained auditor billing.view',
      'lost employee jobs.view',
      'gained manager jobs.archive',
      'lost manager jobs.edit'
    ], 'roles and modules by name; the new actions in declaration order, then removed ones')
    t.same(report.fields.map(f => `${f.role} ${f.module}.${f.field} ${f.before}->${f.after}`), ['employee jobs.client read->hidden'])
    t.equal(report.summary.declarations, 5)
  })
})

t.test('field modes', async t => {
  await t.test('from the grant\'s fields, its level, and the role\'s flags', async t => {
    const after = copy(billing)
    after.roles.employee!.modules!.jobs = { access: 'assigned', level: 'limited', fields: { client: 'edit' } }
    after.roles.employee!.flags = ['manage_prices']
    after.roles.manager!.flags = []
    after.roles.manager!.modules!.jobs = { access: 'all', level: 'full', fields: { client: 'hidden' } }
    const report = diff(billing, after)
    t.same(report.fields, [
      { role: 'employee', module: 'jobs', field: 'client', before: 'read', after: 'edit' },
      { role: 'employee', module: 'jobs', field: 'price', before: 'hidden', after: 'read' },
      { role: 'manager', module: 'jobs', field: 'client', before: 'edit', after: 'hidden' },
      { role: 'manager', module: 'jobs', field: 'price', before: 'edit', after: 'hidden' }
    ])
    t.same(report.permissions, [], 'field modes change no action')
    t.same(report.definitions.map(d => d.kind === 'role' ? [d.role, d.before.flags, d.after.flags] : d.kind), [
      ['employee', [], ['manage_prices']], ['manager', ['manage_prices'], []]
    ])
  })

  await t.test('a field that needs a new flag is hidden from roles without it', async t => {
    const after = copy(billing)
    after.flags!.view_personal_info = 'personal info'
    after.modules.jobs!.fields = { client: { flags: ['view_personal_info'] }, price: { flags: ['manage_prices'] }, notes: {} }
    const report = diff(billing, after)
    t.same(report.fields, [
      { role: 'admin', module: 'jobs', field: 'notes', before: 'hidden', after: 'edit' },
      { role: 'employee', module: 'jobs', field: 'client', before: 'read', after: 'hidden' },
      { role: 'employee', module: 'jobs', field: 'notes', before: 'hidden', after: 'read' },
      { role: 'manager', module: 'jobs', field: 'client', before: 'edit', after: 'hidden' },
      { role: 'manager', module: 'jobs', field: 'notes', before: 'hidden', after: 'edit' }
    ])
    t.same(report.added.fields, [{ module: 'jobs', field: 'notes' }])
    t.same(report.definitions, [{ kind: 'field', module: 'jobs', field: 'client', before: { flags: [] }, after: { flags: ['view_personal_info'] } }])
  })
})

t.test('subjects', async t => {
  const sites: Bundle = {
    version: 1,
    flags: { delete_entities: 'delete' },
    modules: {
      orders: {
        relations: ['assignee', 'creator'],
        actions: { view: { level: 'limited' }, edit: { level: 'management' }, delete: { level: 'full', flags: ['delete_entities'] } }
      }
    },
    roles: {
      manager: { flags: ['delete_entities'], modules: { orders: { access: 'all', level: 'full' } } },
      operative: { modules: { orders: { access: 'all', level: 'limited' } } },
      worker: { modules: { orders: { access: ['assignee'], level: 'management' } } }
    }
  }

  await t.test('gain and loss through tenant-wide roles', async t => {
    const after = copy(sites)
    after.roles.worker!.modules!.orders = { access: ['assignee', 'creator'], level: 'limited' }
    const report = diff(sites, after, [{ id: 'wes', roles: ['worker'] }, { id: 'max', roles: ['manager'] }])
    t.same(report.subjects, [{
      subject: 'wes',
      changes: [
        {
          module: 'orders',
          action: 'view',
          change: 'changed',
          before: { allowed: true, scope: { kind: 'relations', relations: ['assignee'] }, custom: false },
          after: { allowed: true, scope: { kind: 'relations', relations: ['assignee', 'creator'] }, custom: false }
        },
        {
          module: 'orders',
          action: 'edit',
          change: 'lost',
          before: { allowed: true, scope: { kind: 'relations', relations: ['assignee'] }, custom: false },
          after: { allowed: false }
        }
      ],
      projects: []
    }])
  })

  await t.test('project roles: changes per project, only where they differ from tenant-wide', async t => {
    const after = copy(sites)
    after.roles.operative!.modules!.orders = { access: 'all', level: 'management' }
    after.roles.manager!.modules!.orders = { access: 'all', level: 'management' }
    const olga: Subject = { id: 'olga', roles: [], projects: { 'site-12': ['operative'], 'site-9': [] } }
    const mixed: Subject = { id: 'mixed', roles: ['manager'], projects: { 'site-12': ['operative'] } }
    const both: Subject = { id: 'both', roles: ['worker'], projects: { 'site-1': ['manager'] } }
    const report = diff(sites, after, [olga, mixed, both])
    const all = { allowed: true, scope: { kind: 'all' }, custom: false }
    t.same(report.subjects, [
      {
        subject: 'both',
        changes: [],
        projects: [{ project: 'site-1', changes: [{ module: 'orders', action: 'delete', change: 'lost', before: all, after: { allowed: false } }] }]
      },
      {
        subject: 'mixed',
        changes: [{ module: 'orders', action: 'delete', change: 'lost', before: all, after: { allowed: false } }],
        projects: []
      },
      {
        subject: 'olga',
        changes: [],
        projects: [{ project: 'site-12', changes: [{ module: 'orders', action: 'edit', change: 'gained', before: { allowed: false }, after: all }] }]
      }
    ], 'subjects by id; `mixed` gains nothing in site-12 that its manager role did not already give')
  })

  await t.test('a project role keeping what a tenant-wide role loses is `unchanged` in that project', async t => {
    const after = copy(sites)
    delete after.roles.worker
    const report = diff(sites, after, [{ id: 'pat', roles: ['worker'], projects: { 'site-3': ['manager'] } }])
    const assignee = { allowed: true, scope: { kind: 'relations', relations: ['assignee'] }, custom: false }
    const all = { allowed: true, scope: { kind: 'all' }, custom: false }
    t.same(report.subjects, [{
      subject: 'pat',
      changes: [
        { module: 'orders', action: 'view', change: 'lost', before: assignee, after: { allowed: false } },
        { module: 'orders', action: 'edit', change: 'lost', before: assignee, after: { allowed: false } }
      ],
      projects: [{
        project: 'site-3',
        changes: [
          { module: 'orders', action: 'view', change: 'unchanged', before: all, after: all },
          { module: 'orders', action: 'edit', change: 'unchanged', before: all, after: all }
        ]
      }]
    }])
    t.same(report.removed.roles, ['worker'])
  })

  await t.test('overrides apply: access, allow, deny and flags', async t => {
    const after = copy(sites)
    after.roles.operative!.modules!.orders = { access: ['creator'], level: 'limited' }
    after.roles.manager!.flags = []
    const subjects: Subject[] = [
      // access replaces the role's access: the role's change of access is invisible to her
      { id: 'ana', roles: ['operative'], overrides: { modules: { orders: { access: 'all', allow: ['edit'] } } } },
      // an override deny beats any grant: no change on `view`
      { id: 'ben', roles: ['operative'], overrides: { modules: { orders: { deny: ['view'] } } } },
      // the flag is set by the override: losing it from the role changes nothing for him
      { id: 'cas', roles: ['manager'], overrides: { flags: { delete_entities: true } } },
      { id: 'dan', roles: ['manager'] },
      // an override standing as a grant of its own (no role has a grant on orders)
      { id: 'eve', roles: [], overrides: { modules: { orders: { access: 'all', level: 'limited' } } } }
    ]
    const report = diff(sites, after, subjects)
    t.same(report.subjects, [{
      subject: 'dan',
      changes: [{ module: 'orders', action: 'delete', change: 'lost', before: { allowed: true, scope: { kind: 'all' }, custom: false }, after: { allowed: false } }],
      projects: []
    }])
    const reachOf = (policy: CompiledPolicy): ReturnType<typeof subjectReach> => subjectReach(policy, subjects[0] as Subject, policy.modules.get('orders')!, undefined)
    const all = (custom: boolean): unknown => ({ allowed: true, scope: { kind: 'all' }, custom })
    t.same(reachOf(compile(sites)).get('edit'), all(true), 'an action only the override allows is marked custom')
    t.same(reachOf(compile(sites)).get('view'), all(false), 'the role alone grants `view` on all resources')
    t.same(reachOf(compile(after)).get('view'), all(true), 'after, only the override\'s access reaches all resources')
  })

  await t.test('the owner gains every new action; inactive and login: false subjects never change', async t => {
    const after = copy(sites)
    after.modules.orders!.actions.archive = { level: 'full' }
    after.roles.operative!.modules!.orders = { access: 'all', level: 'full' }
    const report = diff(sites, after, [
      { id: 'boss', roles: [], owner: true },
      { id: 'gone', roles: ['operative'], status: 'inactive' },
      { id: 'van', roles: ['operative'], login: false }
    ])
    t.same(report.subjects?.map(s => [s.subject, s.changes.map(c => `${c.change} ${c.module}.${c.action}`)]), [['boss', ['gained orders.archive']]])
  })

  await t.test('reach agrees with decide on resources of every shape', async t => {
    const policy = compile(sites)
    const subject: Subject = { id: 'wes', roles: ['worker'], groups: ['crew'], projects: { p1: ['manager'] } }
    const module = policy.modules.get('orders')!
    for (const project of [undefined, 'p1', 'p2']) {
      const reach = subjectReach(policy, subject, module, project)
      const shapes: Array<Record<string, string[]>> = [{}, { assignee: ['wes'] }, { assignee: ['group:crew'] }, { creator: ['wes'] }, { assignee: ['other'] }]
      for (const relations of shapes) {
        for (const action of module.actions) {
          const resource = { module: 'orders', id: 'o1', relations, ...(project === undefined ? {} : { project }) }
          const allowed = decide(policy, { subject, action, resource }).allowed
          const r = reach.get(action)!
          const names = new Set(['wes', 'group:crew'])
          const predicted = r.allowed && (r.scope.kind === 'all' || r.scope.relations.some(rel => (relations[rel] ?? []).some(v => names.has(v))))
          t.equal(predicted, allowed, `${project ?? '(no project)'} ${action} ${JSON.stringify(relations)}`)
        }
      }
    }
  })
})

t.test('subjects of the same roles and overrides get the same changes, each under its own id', async t => {
  const after = copy(billing)
  after.roles.employee!.modules!.jobs = { access: ['creator'], level: 'limited' }
  const twins: Subject[] = [
    { id: 'x1', roles: ['employee'], groups: ['crew'], aliases: ['x1@example.com'] },
    { id: 'x2', roles: ['employee'] },
    { id: 'x3', roles: ['employee'], overrides: { modules: { jobs: { access: 'all' } } } }
  ]
  const report = diff(billing, after, twins)
  const change = { module: 'jobs', action: 'view', change: 'changed', before: { allowed: true, scope: { kind: 'relations', relations: ['assignee'] }, custom: false }, after: { allowed: true, scope: { kind: 'relations', relations: ['creator'] }, custom: false } }
  t.same(report.subjects, [
    { subject: 'x1', changes: [change], projects: [] },
    { subject: 'x2', changes: [change], projects: [] }
  ], 'x3\'s override keeps access `all`: no change for x3')
})

t.test('the report is deterministic whatever the order of bundle keys and subjects', async t => {
  const after = copy(billing)
  delete after.roles.manager!.modules!.billing!.deny
  after.roles.employee!.modules!.billing = { access: 'all', level: 'limited' }
  const shuffled = (bundle: Bundle): Bundle => ({
    version: 1,
    roles: Object.fromEntries(Object.entries(bundle.roles).reverse()),
    modules: Object.fromEntries(Object.entries(bundle.modules).reverse()),
    flags: bundle.flags ?? {}
  })
  const subjects: Subject[] = [{ id: 'b', roles: ['employee'] }, { id: 'a', roles: ['manager'] }, { id: 'c', roles: ['manager', 'employee'] }]
  const one = diff(billing, after, subjects)
  const two = diff(shuffled(billing), shuffled(after), [...subjects].reverse())
  t.same(two, one)
  t.same(one.subjects?.map(s => s.subject), ['a', 'b', 'c'])
})

t.test('conditions', async t => {
  const invoices: Bundle = {
    version: 1,
    subject_attributes: { approval_limit: 'number' },
    modules: {
      invoices: {
        relations: ['author', 'responsible'],
        attributes: { status: { enum: ['draft', 'sent', 'paid', 'locked'] }, amount: 'number' },
        actions: {
          view: { level: 'limited' },
          edit: { level: 'management', when: "resource.status != 'locked'" },
          approve: { level: 'management' }
        }
      }
    },
    roles: {
      clerk: { modules: { invoices: { access: ['author'], level: 'management', when: { approve: 'resource.amount <= 100.0' } } } },
      manager: { modules: { invoices: { access: 'all', level: 'full', when: { approve: 'resource.amount <= subject.approval_limit' } } } },
      auditor: { modules: { invoices: { access: 'all', level: 'limited', allow: ['approve'], when: { view: "resource.status == 'sent'", approve: "resource.status == 'sent'" } } } }
    }
  }
  const paul: Subject = { id: 'paul', roles: ['manager'], attributes: { approval_limit: 5000 } }
  const cleo: Subject = { id: 'cleo', roles: ['clerk', 'auditor'] }
  const ovid: Subject = { id: 'ovid', roles: ['clerk'], overrides: { modules: { invoices: { access: 'all', when: { view: "resource.status == 'draft'" } } } } }
  const reach = (bundle: Bundle, subject: Subject, action: string): unknown => subjectReach(compile(bundle), subject, { name: 'invoices' }, undefined).get(action)

  await t.test('an action condition removed: allowed where it held before, always after', async t => {
    const after = copy(invoices)
    delete after.modules.invoices!.actions.edit!.when
    const report = diff(invoices, after, [paul])
    t.same(report.definitions, [{
      kind: 'action', module: 'invoices', action: 'edit', before: { level: 'management', flags: [], when: "resource.status != 'locked'" }, after: { level: 'management', flags: [] }
    }])
    t.same(report.subjects, [{
      subject: 'paul',
      changes: [{
        module: 'invoices',
        action: 'edit',
        change: 'changed',
        before: { allowed: true, scope: { kind: 'all' }, custom: false, when: "resource.status != 'locked'" },
        after: { allowed: true, scope: { kind: 'all' }, custom: false }
      }],
      projects: []
    }])
    const text = formatDiffText(report, { before: 'old', after: 'new' })
    t.match(text, "action invoices.edit: when `resource.status != 'locked'` -> none")
    t.match(text, "~ invoices.edit  all resources where `resource.status != 'locked'` -> all resources")
  })

  await t.test('a grant condition changed is a change, for the role and for its holders', async t => {
    const after = copy(invoices)
    after.roles.manager!.modules!.invoices!.when = { approve: 'resource.amount <= 1000.0' }
    const report = diff(invoices, after, [paul])
    t.same(report.permissions, [{
      role: 'manager',
      module: 'invoices',
      action: 'approve',
      change: 'changed',
      before: { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [], when: 'resource.amount <= subject.approval_limit' },
      after: { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [], when: 'resource.amount <= 1000.0' }
    }])
    t.same(report.subjects?.[0]?.changes.map(c => [c.action, c.change, c.before, c.after]), [[
      'approve', 'changed',
      { allowed: true, scope: { kind: 'all' }, custom: false, when: 'resource.amount <= subject.approval_limit' },
      { allowed: true, scope: { kind: 'all' }, custom: false, when: 'resource.amount <= 1000.0' }
    ]])
    t.match(formatDiffMarkdown(report, { before: 'old', after: 'new' }), '| changed | `manager` | `invoices` | `approve` | all resources where `resource.amount <= subject.approval_limit` | all resources where `resource.amount <= 1000.0` |')
  })

  await t.test('a grant condition added where there was none is a change', async t => {
    const after = copy(invoices)
    after.roles.clerk!.modules!.invoices!.when = { approve: 'resource.amount <= 100.0', view: "resource.status != 'draft'" }
    const report = diff(invoices, after, [{ id: 'cid', roles: ['clerk'] }])
    t.same(report.permissions.map(p => [p.role, p.action, p.change]), [['clerk', 'view', 'changed']])
    t.same(report.subjects?.[0]?.changes.map(c => [c.action, c.change, c.after]), [
      ['view', 'changed', { allowed: true, scope: { kind: 'relations', relations: ['author'] }, custom: false, when: "resource.status != 'draft'" }]
    ])
    t.match(formatDiffText(report, { before: 'old', after: 'new' }), "where author -> where author and `resource.status != 'draft'`")
  })

  await t.test('grants of other scopes under other conditions: the union, each relation named in the condition', async t => {
    t.same(reach(invoices, cleo, 'view'), { allowed: true, scope: { kind: 'all' }, custom: false, when: "resource.status == 'sent' || subject.id in resource.author" })
    t.same(reach(invoices, cleo, 'approve'), {
      allowed: true, scope: { kind: 'all' }, custom: false, when: "resource.status == 'sent' || (subject.id in resource.author && resource.amount <= 100.0)"
    })
    t.same(reach(invoices, cleo, 'edit'), { allowed: true, scope: { kind: 'relations', relations: ['author'] }, custom: false, when: "resource.status != 'locked'" })
  })

  await t.test('an override condition: the override where it holds, the role grant as written elsewhere', async t => {
    t.same(reach(invoices, ovid, 'view'), {
      allowed: true, scope: { kind: 'all' }, custom: true, when: "resource.status == 'draft' || (subject.id in resource.author && !(resource.status == 'draft'))"
    })
    t.same(reach(invoices, ovid, 'edit'), { allowed: true, scope: { kind: 'all' }, custom: true, when: "resource.status != 'locked'" }, 'no condition on edit: the override widens it')
    const after = copy(invoices)
    delete after.roles.clerk
    const olly: Subject = { id: 'olly', roles: ['clerk'], overrides: { modules: { invoices: { access: 'all', level: 'limited', when: { view: "resource.status == 'draft'" } } } } }
    const report = diff(invoices, after, [olly])
    t.same(report.subjects?.[0]?.changes.find(c => c.action === 'view'), {
      module: 'invoices',
      action: 'view',
      change: 'changed',
      before: { allowed: true, scope: { kind: 'all' }, custom: true, when: "resource.status == 'draft' || (subject.id in resource.author && !(resource.status == 'draft'))" },
      after: { allowed: true, scope: { kind: 'all' }, custom: true, when: "resource.status == 'draft'" }
    }, 'without the role, the override\'s own grant, where its condition holds')
  })

  await t.test('reach agrees with decide: the scope, then the condition evaluated by cel-js', async t => {
    const env = new Environment({ unlistedVariablesAreDyn: false })
      .registerVariable('resource', 'map<string, dyn>')
      .registerVariable('subject', 'map<string, dyn>')
    const after = copy(invoices)
    delete after.modules.invoices!.actions.edit!.when
    after.roles.manager!.modules!.invoices = { access: ['responsible'], level: 'full', when: { view: "resource.status != 'draft'" } }
    let checked = 0
    for (const bundle of [invoices, after]) {
      const policy = compile(bundle)
      const olly: Subject = { id: 'olly', roles: ['auditor'], overrides: { modules: { invoices: { access: ['responsible'], level: 'full', when: { approve: 'resource.amount < 1000.0' } } } } }
      for (const subject of [paul, cleo, ovid, olly, { id: 'both', roles: ['clerk', 'manager'], attributes: { approval_limit: 50 } }]) {
        const reaches = subjectReach(policy, subject, { name: 'invoices' }, undefined)
        for (const status of ['draft', 'sent', 'locked']) {
          for (const amount of [10, 500, 6000]) {
            for (const relations of [{}, { author: [subject.id] }, { responsible: [subject.id] }] as Array<Record<string, string[]>>) {
              for (const [action, r] of reaches) {
                const resource = { module: 'invoices', id: 'i1', relations, attributes: { status, amount } }
                const inScope = r.allowed && (r.scope.kind === 'all' || r.scope.relations.some(rel => (relations[rel] ?? []).length > 0))
                const activation = { resource: { author: [], responsible: [], ...relations, status, amount }, subject: { id: subject.id, ...subject.attributes } }
                const predicted = inScope && r.allowed && (r.when === undefined || env.evaluate(r.when, activation) === true)
                t.equal(predicted, decide(policy, { subject, action, resource }).allowed, `${subject.id} ${action} ${status} ${amount} ${JSON.stringify(relations)}: ${JSON.stringify(r)}`)
                checked++
              }
            }
          }
        }
      }
    }
    t.equal(checked, 2 * 5 * 3 * 3 * 3 * 3)
  })
})
