/**
 * The policy view: declarations, and what one role alone gives, every branch, and its
 * agreement with decisions: a role's permission is granted exactly when a subject holding that role
 * alone, with every flag, is allowed on some resource.
 */
import t from 'tap'
import type { Bundle, ResourceFacts, RolePermission } from '../../src/engine/index.js'
import { compileBundle, decide, moduleDeclaration, policyDeclarations, roleFieldMode, rolePermission } from '../../src/engine/index.js'
import { richBundle } from './fixtures/rich-bundle.js'

const bundle: Bundle = {
  version: 1,
  flags: { delete_entities: 'delete', manage_prices: 'prices', view_costs: 'costs' },
  modules: {
    jobs: {
      relations: ['assignee', 'responsible', 'creator'],
      assigned: ['responsible', 'assignee'],
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management' },
        close: { level: 'management' },
        delete: { level: 'full', flags: ['manage_prices', 'delete_entities'] }
      },
      fields: { price: { flags: ['manage_prices'] }, notes: {}, secret: {} }
    }
  },
  roles: {
    boss: { all: true },
    keeper: { modules: { jobs: { admin: true } } },
    worker: {
      flags: ['delete_entities'],
      modules: { jobs: { access: 'assigned', level: 'full', deny: ['edit'], scope: { close: ['creator', 'assignee'], view: [] }, fields: { secret: 'hidden' } } }
    },
    viewer: { flags: ['manage_prices'], modules: { jobs: { access: 'all', level: 'limited' } } },
    blind: { modules: { jobs: { access: 'none', allow: ['view'] } } },
    nobody: {}
  }
}
const compiled = compileBundle(bundle)
if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
const policy = compiled.policy

t.test('rolePermission: every kind of answer', async t => {
  const cases: Array<[string, string, string, string, RolePermission]> = [
    ['an unknown role', 'ghost', 'jobs', 'view', { granted: false }],
    ['an unknown module', 'worker', 'ghosts', 'view', { granted: false }],
    ['an unknown action', 'worker', 'jobs', 'fly', { granted: false }],
    ['an `all` role', 'boss', 'jobs', 'delete', { granted: true, scope: { kind: 'all-role' }, flags: [], missingFlags: [] }],
    ['a module admin', 'keeper', 'jobs', 'delete', { granted: true, scope: { kind: 'admin' }, flags: [], missingFlags: [] }],
    ['no grant on the module', 'nobody', 'jobs', 'view', { granted: false }],
    ['an action in deny', 'worker', 'jobs', 'edit', { granted: false }],
    ['an action above the level', 'viewer', 'jobs', 'edit', { granted: false }],
    ['assigned: the module\'s relations, sorted', 'worker', 'jobs', 'delete',
      { granted: true, scope: { kind: 'assigned', relations: ['assignee', 'responsible'] }, flags: ['delete_entities', 'manage_prices'], missingFlags: ['manage_prices'] }],
    ['a per-action relation list, sorted', 'worker', 'jobs', 'close',
      { granted: true, scope: { kind: 'relations', relations: ['assignee', 'creator'] }, flags: [], missingFlags: [] }],
    ['an empty relation list reaches nothing', 'worker', 'jobs', 'view', { granted: true, scope: { kind: 'none' }, flags: [], missingFlags: [] }],
    ['access all', 'viewer', 'jobs', 'view', { granted: true, scope: { kind: 'all' }, flags: [], missingFlags: [] }],
    ['access none, granted by allow', 'blind', 'jobs', 'view', { granted: true, scope: { kind: 'none' }, flags: [], missingFlags: [] }]
  ]
  for (const [name, role, module, action, expected] of cases) t.same(rolePermission(policy, role, module, action), expected, name)
})

t.test('roleFieldMode: every kind of answer', async t => {
  const cases: Array<[string, string, string, string, string]> = [
    ['an unknown role', 'ghost', 'jobs', 'notes', 'hidden'],
    ['an unknown module', 'worker', 'ghosts', 'notes', 'hidden'],
    ['an unknown field', 'worker', 'jobs', 'ghost', 'hidden'],
    ['an `all` role', 'boss', 'jobs', 'price', 'edit'],
    ['a module admin', 'keeper', 'jobs', 'price', 'edit'],
    ['no grant on the module', 'nobody', 'jobs', 'notes', 'hidden'],
    ['a flag the role lacks', 'worker', 'jobs', 'price', 'hidden'],
    ['the grant\'s own entry', 'worker', 'jobs', 'secret', 'hidden'],
    ['the default at full', 'worker', 'jobs', 'notes', 'edit'],
    ['the default at limited, flag held', 'viewer', 'jobs', 'price', 'read'],
    ['the default without a level', 'blind', 'jobs', 'notes', 'read']
  ]
  for (const [name, role, module, field, expected] of cases) t.equal(roleFieldMode(policy, role, module, field), expected, name)
})

t.test('policyDeclarations: what the policy declares, defaults resolved', async t => {
  const declared = policyDeclarations(policy)
  t.same(declared.flags, ['delete_entities', 'manage_prices', 'view_costs'])
  t.same([...declared.roles.values()].map(r => [r.name, r.all, r.protected, r.flags]), [
    ['boss', true, false, []], ['keeper', false, false, []], ['worker', false, false, ['delete_entities']],
    ['viewer', false, false, ['manage_prices']], ['blind', false, false, []], ['nobody', false, false, []]
  ])
  t.same(declared.modules.get('jobs'), {
    name: 'jobs',
    relations: ['assignee', 'responsible', 'creator'],
    assigned: ['responsible', 'assignee'],
    actions: [
      { name: 'view', level: 'limited', flags: [] },
      { name: 'edit', level: 'management', flags: [] },
      { name: 'close', level: 'management', flags: [] },
      { name: 'delete', level: 'full', flags: ['manage_prices', 'delete_entities'] }
    ],
    fields: [{ name: 'notes', flags: [] }, { name: 'price', flags: ['manage_prices'] }, { name: 'secret', flags: [] }]
  })
  const bare = compileBundle({ version: 1, modules: { tickets: { relations: ['requester', 'watcher'], actions: { view: { level: 'full' } } } }, roles: { r: { protected: true } } })
  if (!bare.ok) throw new Error(JSON.stringify(bare.issues))
  t.same(moduleDeclaration(bare.policy, 'tickets'), {
    name: 'tickets', relations: ['requester', 'watcher'], assigned: ['requester', 'watcher'], actions: [{ name: 'view', level: 'full', flags: [] }], fields: []
  }, 'assigned defaults to every relation')
  t.same(policyDeclarations(bare.policy).roles.get('r'), { name: 'r', all: false, protected: true, flags: [] })
  t.equal(moduleDeclaration(policy, 'ghosts'), undefined)
})

t.test('a role\'s permission agrees with decisions for a subject holding it alone, every flag held', async t => {
  const rich = compileBundle(richBundle)
  if (!rich.ok) throw new Error(JSON.stringify(rich.issues))
  for (const p of [policy, rich.policy]) {
    const everyFlag = Object.fromEntries([...p.flagIndex.keys()].map(f => [f, true]))
    for (const role of p.roles.keys()) {
      for (const module of p.modules.values()) {
        const probes: ResourceFacts[] = [
          { module: module.name, id: 'r', relations: {} },
          ...module.relations.map(r => ({ module: module.name, id: 'r', relations: { [r]: ['u1'] } }))
        ]
        for (const action of module.actions) {
          const view = rolePermission(p, role, module.name, action)
          const subject = { id: 'u1', roles: [role], overrides: { flags: everyFlag } }
          const allowedOn = probes.filter(resource => decide(p, { subject, action, resource }).allowed)
          t.equal(allowedOn.length > 0, view.granted && view.scope.kind !== 'none', `${role} ${module.name}.${action}: granted somewhere`)
          if (view.granted && ['all', 'admin', 'all-role'].includes(view.scope.kind)) t.equal(allowedOn.length, probes.length, `${role} ${module.name}.${action}: everywhere`)
        }
      }
    }
  }
})
