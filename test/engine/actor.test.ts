/** Who may change a subject: the owner's rules, then the acting user's (one case per rule and edge). */
import t from 'tap'
import { checkSubjectChange, compileBundle } from '../../src/engine/index.js'
import type { CompiledPolicy, Subject, SubjectChange } from '../../src/engine/index.js'

function policyOf (bundle: unknown): CompiledPolicy {
  const c = compileBundle(bundle)
  if (!c.ok) throw new Error(JSON.stringify(c.issues))
  return c.policy
}

const policy = policyOf({
  version: 1,
  modules: { users: { actions: { view: { level: 'limited' }, edit: { level: 'management' }, create: { level: 'full' }, delete: { level: 'full' } } } },
  roles: {
    admin: { protected: true, all: true },
    office: { modules: { users: { access: 'all', level: 'management' } } },
    hr: { modules: { users: { access: 'all', level: 'full' } } },
    staff: {}
  }
})
const noUsers = policyOf({ version: 1, modules: {}, roles: { x: {} } })

/** User administration declared by the bundle: creation is `invite`, contractors are managed in their own module. */
const declared = policyOf({
  version: 1,
  modules: {
    people: { actions: { view: { level: 'limited' }, invite: { level: 'full' }, add: { level: 'full' }, change: { level: 'management' }, remove: { level: 'full' } } },
    contractors: { actions: { invite: { level: 'management' }, change: { level: 'management' }, remove: { level: 'management' } } }
  },
  roles: {
    boss: { protected: true, all: true },
    hr: { modules: { people: { access: 'all', allow: ['invite', 'change', 'remove'] } } },
    adder: { modules: { people: { access: 'all', allow: ['add'] } } },
    subs_admin: { modules: { contractors: { access: 'all', level: 'management' } } },
    contractor: {},
    staff: {}
  },
  user_admin: {
    module: 'people',
    create: ['invite', 'add'],
    edit: ['change'],
    delete: ['remove'],
    by_role: { contractor: { module: 'contractors', create: ['invite'], edit: ['change'], delete: ['remove'] } }
  }
})
const contractor = (id: string): Subject => s(id, { projects: { p1: ['contractor'] } })

/** The target's roles as an attribute: only holders of `boss` change holders of `boss` (an action condition). */
const guarded = policyOf({
  version: 1,
  modules: {
    staff: {
      attributes: { roles: ['string'] },
      actions: { add: { level: 'full' }, change: { level: 'full', when: "'boss' in subject.roles || !('boss' in resource.roles)" }, remove: { level: 'full' } }
    }
  },
  roles: { boss: { all: true }, clerk: { modules: { staff: { access: 'all', level: 'full' } } } },
  user_admin: { module: 'staff', create: ['add'], edit: ['change'], delete: ['remove'], roles_attribute: 'roles' }
})

const s = (id: string, extra: Partial<Subject> = {}): Subject => ({ id, roles: [], ...extra })
const owner = s('own', { roles: ['admin'], owner: true })
const actor = (subject: Subject | undefined, id = subject?.id ?? 'ghost') => ({ actor: { id, subject } })

const cases: Array<[string, CompiledPolicy | undefined, SubjectChange, string | undefined]> = [
  ['the owner cannot be deleted', policy, { before: owner, after: undefined, owners: ['own'] }, 'owner_protected'],
  ['the owner cannot be demoted', policy, { before: owner, after: { ...owner, owner: false }, owners: ['own'] }, 'owner_protected'],
  ['the owner cannot be deactivated', policy, { before: owner, after: { ...owner, status: 'inactive' }, owners: ['own'] }, 'owner_protected'],
  ['the owner cannot lose login', policy, { before: owner, after: { ...owner, login: false }, owners: ['own'] }, 'owner_protected'],
  ['the owner may be changed otherwise', policy, { before: owner, after: { ...owner, roles: ['staff'] }, owners: ['own'] }, undefined],
  ['no one becomes owner by a write while there is one', policy, { before: s('a'), after: s('a', { owner: true }), owners: ['own'] }, 'owner_transfer_required'],
  ['the first owner may be written', policy, { before: undefined, after: s('a', { owner: true }), owners: [] }, undefined],
  ['no actor: the policy is not asked', noUsers, { before: s('a'), after: s('a', { roles: ['x'] }), owners: [] }, undefined],
  ['an unknown actor', policy, { before: s('a'), after: s('a'), owners: [], ...actor(undefined) }, 'actor_unknown'],
  ['an inactive actor', policy, { before: s('a'), after: s('a'), owners: [], ...actor(s('h', { roles: ['hr'], status: 'inactive' })) }, 'actor_inactive'],
  ['an actor that cannot log in', policy, { before: s('a'), after: s('a'), owners: [], ...actor(s('h', { roles: ['hr'], login: false })) }, 'actor_inactive'],
  ['a policy without users', noUsers, { before: s('a'), after: s('a'), owners: [], ...actor(s('h', { roles: ['x'] })) }, 'users_module_missing'],
  ['edit needs users.edit', policy, { before: s('a'), after: s('a', { roles: ['staff'] }), owners: [], ...actor(s('st', { roles: ['staff'] })) }, 'users_permission'],
  ['office may edit', policy, { before: s('a'), after: s('a', { roles: ['staff'] }), owners: [], ...actor(s('of', { roles: ['office'] })) }, undefined],
  ['office may not create (level full)', policy, { before: undefined, after: s('a'), owners: [], ...actor(s('of', { roles: ['office'] })) }, 'users_permission'],
  ['office may not delete (level full)', policy, { before: s('a'), after: undefined, owners: [], ...actor(s('of', { roles: ['office'] })) }, 'users_permission'],
  ['hr may create and delete', policy, { before: s('a'), after: undefined, owners: [], ...actor(s('h', { roles: ['hr'] })) }, undefined],
  ['granting a protected role needs one', policy, { before: s('a'), after: s('a', { roles: ['admin'] }), owners: [], ...actor(s('h', { roles: ['hr'] })) }, 'protected_role'],
  ['changing a holder of a protected role needs one', policy, { before: s('a', { roles: ['admin'] }), after: s('a', { roles: ['admin', 'staff'] }), owners: [], ...actor(s('h', { roles: ['hr'] })) }, 'protected_role'],
  ['a protected role in a project counts', policy, { before: s('a'), after: s('a', { projects: { p: ['admin'] } }), owners: [], ...actor(s('h', { roles: ['hr'] })) }, 'protected_role'],
  ['a holder of a protected role may', policy, { before: s('a'), after: s('a', { roles: ['admin'] }), owners: [], ...actor(s('ad', { roles: ['admin'] })) }, undefined],
  ['user_admin: creation through any listed action (invite)', declared, { before: undefined, after: s('a'), owners: [], ...actor(s('h', { roles: ['hr'] })) }, undefined],
  ['user_admin: creation through any listed action (add)', declared, { before: undefined, after: s('a'), owners: [], ...actor(s('ad', { roles: ['adder'] })) }, undefined],
  ['user_admin: the actions of the default are not read', declared, { before: s('a'), after: s('a', { roles: ['staff'] }), owners: [], ...actor(s('ad', { roles: ['adder'] })) }, 'users_permission'],
  ['user_admin: edit and delete through the declared actions', declared, { before: s('a'), after: undefined, owners: [], ...actor(s('h', { roles: ['hr'] })) }, undefined],
  ['user_admin: a contractor is created through its own module', declared, { before: undefined, after: contractor('c'), owners: [], ...actor(s('sa', { roles: ['subs_admin'] })) }, undefined],
  ['user_admin: the contractors module does not reach other users', declared, { before: undefined, after: s('a'), owners: [], ...actor(s('sa', { roles: ['subs_admin'] })) }, 'users_permission'],
  ['user_admin: the users module does not reach contractors', declared, { before: contractor('c'), after: undefined, owners: [], ...actor(s('h', { roles: ['hr'] })) }, 'users_permission'],
  ['user_admin: turning a contractor into staff needs both modules', declared, { before: contractor('c'), after: s('c', { roles: ['staff'] }), owners: [], ...actor(s('sa', { roles: ['subs_admin'] })) }, 'users_permission'],
  ['user_admin: a contractor also holding a role without a rule needs both', declared, { before: undefined, after: s('c', { roles: ['staff'], projects: { p1: ['contractor'] } }), owners: [], ...actor(s('sa', { roles: ['subs_admin'] })) }, 'users_permission'],
  ['user_admin: with both, it may', declared, { before: contractor('c'), after: s('c', { roles: ['staff'] }), owners: [], ...actor(s('x', { roles: ['subs_admin', 'hr'] })) }, undefined],
  ['roles_attribute: a clerk changes a clerk', guarded, { before: s('c', { roles: ['clerk'] }), after: s('c'), owners: [], ...actor(s('k', { roles: ['clerk'] })) }, undefined],
  ['roles_attribute: a clerk changes no boss (the condition reads the target\'s roles before the write)', guarded, { before: s('b', { projects: { p: ['boss'] } }), after: s('b'), owners: [], ...actor(s('k', { roles: ['clerk'] })) }, 'users_permission'],
  ['roles_attribute: a boss changes a boss', guarded, { before: s('b', { roles: ['boss'] }), after: s('b'), owners: [], ...actor(s('b2', { roles: ['boss'] })) }, undefined],
  ['no policy at all', undefined, { before: s('a'), after: s('a'), owners: [], ...actor(s('h')) }, 'users_module_missing'],
  ['the owner may', policy, { before: s('a', { roles: ['admin'] }), after: s('a'), owners: ['own'], ...actor({ ...owner, roles: [] }) }, undefined]
]

for (const [name, p, change, code] of cases) {
  t.test(name, async t => {
    const refusal = checkSubjectChange(p, change)
    t.equal(refusal?.code, code)
    if (refusal !== undefined) t.type(refusal.message, 'string')
  })
}

t.test('refusals name the subject, the current owner and the protected role', async t => {
  const transfer = checkSubjectChange(policy, { before: s('a'), after: s('a', { owner: true }), owners: ['own'] })
  t.match(transfer?.message, /`own`/)
  const created = checkSubjectChange(policy, { before: undefined, after: s('new', { roles: ['admin'] }), owners: [], ...actor(s('h', { roles: ['hr'] })) })
  t.match(created, { code: 'protected_role', message: /^`new` holds or receives the protected role `admin`/ })
  const refused = checkSubjectChange(declared, { before: undefined, after: s('new'), owners: [], ...actor(s('st', { roles: ['staff'] })) })
  t.match(refused, { code: 'users_permission', message: /^`st` may not `invite` or `add` on `people` \(to create `new`\): / })
  const deleted = checkSubjectChange(policy, { before: owner, after: undefined, owners: ['own'] })
  t.match(deleted?.message, /^`own` is the account owner/)
})
