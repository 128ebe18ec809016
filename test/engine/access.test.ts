/**
 * `actionAccess`: where a subject may do an action, the resource not known, conditions
 * kept as their texts (the policy diff's subject view). One row per step of the decision
 * order and per way a grant reaches resources.
 */
import t from 'tap'
import type { ActionAccess, Bundle, CompiledPolicy, Subject } from '../../src/engine/index.js'
import { actionAccess, compileBundle } from '../../src/engine/index.js'

const bundle: Bundle = {
  version: 1,
  modules: {
    invoices: {
      relations: ['author', 'responsible'],
      attributes: { status: { enum: ['draft', 'sent', 'locked'] } },
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management', when: "resource.status != 'locked'" },
        approve: { level: 'management' }
      }
    }
  },
  roles: {
    clerk: { modules: { invoices: { access: ['responsible', 'author'], level: 'management', when: { edit: "resource.status != 'locked'", approve: "resource.status == 'sent'" } } } },
    blind: { modules: { invoices: { access: 'none', level: 'full' } } },
    empty: { modules: { invoices: { access: [], level: 'full' } } },
    boss: { all: true },
    keeper: { modules: { invoices: { admin: true } } }
  }
}

function compiled (b: Bundle): CompiledPolicy {
  const c = compileBundle(b)
  if (!c.ok) throw new Error(JSON.stringify(c.issues))
  return c.policy
}
const policy = compiled(bundle)

interface Row {
  name: string
  subject: Subject
  action: string
  module?: string
  project?: string
  plain?: boolean
  want: ActionAccess
}

const EDIT_WHEN = "resource.status != 'locked'"
const all = (...when: string[]): ActionAccess => ({ allowed: true, ways: [{ scope: { kind: 'all' }, when }] })
const override = (o: Record<string, unknown>, roles: string[] = []): Subject => ({ id: 'u1', roles, overrides: { modules: { invoices: o } } })

const rows: Row[] = [
  { name: 'an inactive subject may nothing', subject: { id: 'u1', roles: ['boss'], status: 'inactive' }, action: 'view', want: { allowed: false } },
  { name: 'an unknown module', subject: { id: 'u1', roles: ['boss'] }, action: 'view', module: 'trucks', want: { allowed: false } },
  { name: 'an unknown action', subject: { id: 'u1', roles: ['boss'] }, action: 'paint', want: { allowed: false } },
  { name: 'the owner, under the action condition', subject: { id: 'u1', roles: [], owner: true }, action: 'edit', want: all(EDIT_WHEN) },
  { name: 'an all role, under the action condition', subject: { id: 'u1', roles: ['boss'] }, action: 'edit', want: all(EDIT_WHEN) },
  { name: 'a module admin', subject: { id: 'u1', roles: ['keeper'] }, action: 'approve', want: all() },
  { name: 'an override deny beats an all role', subject: override({ deny: ['view'] }, ['boss']), action: 'view', want: { allowed: false } },
  { name: 'no role', subject: { id: 'u1', roles: [] }, action: 'view', want: { allowed: false } },
  { name: 'access none and an empty relation list reach nothing', subject: { id: 'u1', roles: ['blind', 'empty'] }, action: 'view', want: { allowed: false } },
  { name: 'relations, sorted', subject: { id: 'u1', roles: ['clerk'] }, action: 'view', want: { allowed: true, ways: [{ scope: { kind: 'relations', relations: ['author', 'responsible'] }, when: [] }] } },
  {
    name: 'the action condition once, when the grant repeats it',
    subject: { id: 'u1', roles: ['clerk'] },
    action: 'edit',
    want: { allowed: true, ways: [{ scope: { kind: 'relations', relations: ['author', 'responsible'] }, when: [EDIT_WHEN] }] }
  },
  {
    name: 'an override condition: the override where it holds, the role grant where it does not',
    subject: override({ access: 'all', when: { approve: 'true' } }, ['clerk']),
    action: 'approve',
    want: {
      allowed: true,
      ways: [
        { scope: { kind: 'all' }, when: ['true', "resource.status == 'sent'"] },
        { scope: { kind: 'relations', relations: ['author', 'responsible'] }, when: ['!(true)', "resource.status == 'sent'"] }
      ]
    }
  },
  { name: 'an override\'s own grant under its condition', subject: override({ access: 'all', level: 'limited', when: { view: 'false' } }), action: 'view', want: all('false') },
  { name: 'plain: without the override\'s own grant', subject: override({ access: 'all', level: 'limited' }), action: 'view', plain: true, want: { allowed: false } },
  {
    name: 'plain: the role grant as written',
    subject: override({ access: 'all' }, ['clerk']),
    action: 'view',
    plain: true,
    want: { allowed: true, ways: [{ scope: { kind: 'relations', relations: ['author', 'responsible'] }, when: [] }] }
  },
  { name: 'not plain: the role grant as the override changed it', subject: override({ access: 'all' }, ['clerk']), action: 'view', want: all() },
  { name: 'a project role', subject: { id: 'u1', roles: [], projects: { p1: ['boss'] } }, action: 'view', project: 'p1', want: all() },
  { name: 'a project role, outside its project', subject: { id: 'u1', roles: [], projects: { p1: ['boss'] } }, action: 'view', want: { allowed: false } }
]

t.test('where a subject may do an action, conditions as texts', async t => {
  for (const r of rows) {
    t.same(actionAccess(policy, r.subject, r.module ?? 'invoices', r.project, r.action, { plain: r.plain }), r.want, r.name)
  }
  t.same(actionAccess(policy, { id: 'u1', roles: ['boss'] }, 'invoices', undefined, 'view'), all(), 'options are optional')
})
