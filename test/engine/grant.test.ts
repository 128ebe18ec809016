/**
 * `grantStanding`, the one statement of "a grant grants an action" (step 5), as a table:
 * every branch (admin, deny, allow, level, flags, each kind of scope, per-action scopes,
 * overrides applied to a role grant or standing as a grant of their own), each with the
 * resource known, not known, and with flags not known.
 */
import t from 'tap'
import type { Bits } from '../../src/engine/bits.js'
import { bitsOf } from '../../src/engine/bits.js'
import { compileGrant } from '../../src/engine/compile.js'
import type { GrantStanding } from '../../src/engine/grant.js'
import {
  ACTION_DENIED, FLAG_MISSING, GRANTS, GRANTS_IN_SCOPE, LEVEL_INSUFFICIENT, NOT_IN_SCOPE, grantScope, grantStanding
} from '../../src/engine/grant.js'
import type { Bundle, CompiledModule, Grant, ModuleOverride, ResourceFacts, Subject } from '../../src/engine/index.js'
import type { CompiledGrant } from '../../src/engine/policy.js'
import { compileBundle, compileSubject } from '../../src/engine/index.js'
import { GRANT_FAILURES } from '../../src/engine/reason-text.js'

const bundle: Bundle = {
  version: 1,
  flags: { delete_entities: 'delete', manage_prices: 'prices' },
  modules: {
    jobs: {
      relations: ['assignee', 'responsible', 'creator'],
      assigned: ['assignee', 'responsible'],
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management' },
        close: { level: 'management' },
        punch: { level: 'full' },
        delete: { level: 'full', flags: ['delete_entities'] }
      }
    },
    other: { actions: { view: { level: 'limited' } } }
  },
  roles: {
    worker: { modules: { jobs: { access: 'assigned', level: 'limited', allow: ['punch'], deny: ['view'] } } },
    bystander: { modules: { other: { access: 'all', level: 'full' } } }
  }
}
const compiled = compileBundle(bundle)
if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
const policy = compiled.policy
const jobs = policy.modules.get('jobs') as CompiledModule

const flagsOf = (...names: string[]): Bits => bitsOf(policy.flagCount, names.map(n => policy.flagIndex.get(n) as number))
const roleGrant = (grant: Grant): CompiledGrant => compileGrant('r', jobs, grant)
/** The grant a decision weighs for a subject holding `roles` with `override` on jobs: the role's grant with the override applied, or the override's own. */
const overridden = (roles: string[], override: ModuleOverride): CompiledGrant => {
  const ctx = compileSubject(policy, { id: 'u1', roles, overrides: { modules: { jobs: override } } }).context(jobs, undefined)
  if (ctx.grants.length !== 1) throw new Error(`expected one grant, got ${ctx.grants.length}`)
  return (ctx.grants[0] as { grant: CompiledGrant }).grant
}

const ME = new Set(['u1', 'group:crew'])
const mine = { assignee: ['u1'] }
const crews = { responsible: ['group:crew'] }
const createdByMe = { creator: ['u1'] }
const nobody = {}
const others = { assignee: ['u2'], creator: ['u3'] }

interface Row {
  name: string
  grant: CompiledGrant
  action: string
  /** Flags held; `null`: not known. */
  flags: string[] | null
  /** The resource's relations; `null`: not known. */
  relations: Record<string, string[]> | null
  standing: GrantStanding
}

const rows: Row[] = [
  // admin
  { name: 'admin grants whatever the level', grant: roleGrant({ admin: true, access: 'none' }), action: 'punch', flags: [], relations: nobody, standing: GRANTS },
  { name: 'admin grants without a flag', grant: roleGrant({ admin: true }), action: 'delete', flags: [], relations: others, standing: GRANTS },
  { name: 'admin grants whatever the deny list', grant: roleGrant({ admin: true, deny: ['view'] }), action: 'view', flags: [], relations: nobody, standing: GRANTS },
  { name: 'admin grants everywhere, resource unknown', grant: roleGrant({ admin: true }), action: 'view', flags: null, relations: null, standing: GRANTS },
  // deny list
  { name: 'deny removes an action within the level', grant: roleGrant({ access: 'all', level: 'full', deny: ['edit'] }), action: 'edit', flags: [], relations: nobody, standing: ACTION_DENIED },
  { name: 'deny wins over allow', grant: roleGrant({ access: 'all', allow: ['edit'], deny: ['edit'] }), action: 'edit', flags: [], relations: nobody, standing: ACTION_DENIED },
  { name: 'deny, resource unknown', grant: roleGrant({ access: 'all', level: 'full', deny: ['edit'] }), action: 'edit', flags: null, relations: null, standing: ACTION_DENIED },
  // level and allow list
  { name: 'an action within the level', grant: roleGrant({ access: 'all', level: 'management' }), action: 'edit', flags: [], relations: nobody, standing: GRANTS },
  { name: 'an action above the level', grant: roleGrant({ access: 'all', level: 'management' }), action: 'punch', flags: [], relations: nobody, standing: LEVEL_INSUFFICIENT },
  { name: 'no level: nothing by level', grant: roleGrant({ access: 'all' }), action: 'view', flags: [], relations: nobody, standing: LEVEL_INSUFFICIENT },
  { name: 'allow grants above the level', grant: roleGrant({ access: 'all', level: 'limited', allow: ['punch'] }), action: 'punch', flags: [], relations: nobody, standing: GRANTS },
  { name: 'allow grants without a level', grant: roleGrant({ access: 'all', allow: ['close'] }), action: 'close', flags: [], relations: nobody, standing: GRANTS },
  { name: 'above the level, resource unknown', grant: roleGrant({ access: 'all', level: 'limited' }), action: 'edit', flags: null, relations: null, standing: LEVEL_INSUFFICIENT },
  // flags
  { name: 'a needed flag held', grant: roleGrant({ access: 'all', level: 'full' }), action: 'delete', flags: ['delete_entities'], relations: nobody, standing: GRANTS },
  { name: 'a needed flag missing', grant: roleGrant({ access: 'all', level: 'full' }), action: 'delete', flags: ['manage_prices'], relations: nobody, standing: FLAG_MISSING },
  { name: 'a flag missing weighs before the scope', grant: roleGrant({ access: 'none', level: 'full' }), action: 'delete', flags: [], relations: nobody, standing: FLAG_MISSING },
  { name: 'a flag missing, resource unknown', grant: roleGrant({ access: 'all', level: 'full' }), action: 'delete', flags: [], relations: null, standing: FLAG_MISSING },
  { name: 'flags not known: not checked', grant: roleGrant({ access: 'all', level: 'full' }), action: 'delete', flags: null, relations: nobody, standing: GRANTS },
  // scope: all, none, assigned, a relation list
  { name: 'access all reaches a resource naming no one', grant: roleGrant({ access: 'all', level: 'limited' }), action: 'view', flags: [], relations: nobody, standing: GRANTS },
  { name: 'access none reaches nothing', grant: roleGrant({ access: 'none', level: 'limited' }), action: 'view', flags: [], relations: mine, standing: NOT_IN_SCOPE },
  { name: 'no access reaches nothing', grant: roleGrant({ level: 'limited' }), action: 'view', flags: [], relations: mine, standing: NOT_IN_SCOPE },
  { name: 'assigned reaches the assignee', grant: roleGrant({ access: 'assigned', level: 'limited' }), action: 'view', flags: [], relations: mine, standing: GRANTS },
  { name: 'assigned reaches a group of the subject', grant: roleGrant({ access: 'assigned', level: 'limited' }), action: 'view', flags: [], relations: crews, standing: GRANTS },
  { name: 'assigned does not reach the creator', grant: roleGrant({ access: 'assigned', level: 'limited' }), action: 'view', flags: [], relations: createdByMe, standing: NOT_IN_SCOPE },
  { name: 'assigned does not reach others\' resources', grant: roleGrant({ access: 'assigned', level: 'limited' }), action: 'view', flags: [], relations: others, standing: NOT_IN_SCOPE },
  { name: 'a relation list reaches its relations', grant: roleGrant({ access: ['creator'], level: 'limited' }), action: 'view', flags: [], relations: createdByMe, standing: GRANTS },
  { name: 'a relation list reaches no other relation', grant: roleGrant({ access: ['creator'], level: 'limited' }), action: 'view', flags: [], relations: mine, standing: NOT_IN_SCOPE },
  { name: 'an empty relation list reaches nothing', grant: roleGrant({ access: [], level: 'limited' }), action: 'view', flags: [], relations: mine, standing: NOT_IN_SCOPE },
  { name: 'a scope, resource unknown', grant: roleGrant({ access: 'assigned', level: 'limited' }), action: 'view', flags: [], relations: null, standing: GRANTS_IN_SCOPE },
  { name: 'access all, resource unknown: its scope says every resource', grant: roleGrant({ access: 'all', level: 'limited' }), action: 'view', flags: [], relations: null, standing: GRANTS_IN_SCOPE },
  // per-action scope
  { name: 'a per-action scope narrows one action', grant: roleGrant({ access: 'all', level: 'management', scope: { close: ['creator'] } }), action: 'close', flags: [], relations: mine, standing: NOT_IN_SCOPE },
  { name: 'a per-action scope reaches its relation', grant: roleGrant({ access: 'all', level: 'management', scope: { close: ['creator'] } }), action: 'close', flags: [], relations: createdByMe, standing: GRANTS },
  { name: 'a per-action scope leaves the other actions at the access', grant: roleGrant({ access: 'all', level: 'management', scope: { close: ['creator'] } }), action: 'edit', flags: [], relations: mine, standing: GRANTS },
  { name: 'a per-action scope widens one action', grant: roleGrant({ access: 'none', level: 'management', scope: { view: 'all' } }), action: 'view', flags: [], relations: nobody, standing: GRANTS },
  // overrides applied to a role grant (worker: assigned, limited, allow punch, deny view)
  { name: 'the role grant as it is', grant: overridden(['worker'], {}), action: 'edit', flags: [], relations: mine, standing: LEVEL_INSUFFICIENT },
  { name: 'override level raises the level', grant: overridden(['worker'], { level: 'management' }), action: 'edit', flags: [], relations: mine, standing: GRANTS },
  { name: 'override level lowers nothing the role allows', grant: overridden(['worker'], { level: 'limited' }), action: 'punch', flags: [], relations: mine, standing: GRANTS },
  { name: 'override access widens the scope', grant: overridden(['worker'], { access: 'all' }), action: 'punch', flags: [], relations: nobody, standing: GRANTS },
  { name: 'override access narrows the scope', grant: overridden(['worker'], { access: ['creator'] }), action: 'punch', flags: [], relations: mine, standing: NOT_IN_SCOPE },
  { name: 'override allow adds an action', grant: overridden(['worker'], { allow: ['close'] }), action: 'close', flags: [], relations: mine, standing: GRANTS },
  { name: 'override allow lifts the role\'s deny', grant: overridden(['worker'], { allow: ['view'] }), action: 'view', flags: [], relations: mine, standing: GRANTS },
  { name: 'override allow stays within the access', grant: overridden(['worker'], { allow: ['close'] }), action: 'close', flags: [], relations: others, standing: NOT_IN_SCOPE },
  { name: 'override deny is step 3: the grant keeps the action', grant: overridden(['worker'], { deny: ['punch'] }), action: 'punch', flags: [], relations: mine, standing: GRANTS },
  // an override standing as a grant of its own (no role grant on the module)
  { name: 'an override\'s own grant: access and level', grant: overridden(['bystander'], { access: 'all', level: 'management' }), action: 'edit', flags: [], relations: nobody, standing: GRANTS },
  { name: 'an override\'s own grant: above its level', grant: overridden(['bystander'], { access: 'all', level: 'limited' }), action: 'edit', flags: [], relations: nobody, standing: LEVEL_INSUFFICIENT },
  { name: 'an override\'s own grant: allow without a level', grant: overridden([], { access: 'assigned', allow: ['close'] }), action: 'close', flags: [], relations: mine, standing: GRANTS },
  { name: 'an override\'s own grant: no access reaches nothing', grant: overridden([], { allow: ['close'] }), action: 'close', flags: [], relations: mine, standing: NOT_IN_SCOPE },
  { name: 'an override\'s own grant: flags still needed', grant: overridden([], { access: 'all', level: 'full' }), action: 'delete', flags: [], relations: nobody, standing: FLAG_MISSING }
]

/** A job resource with these relation values. */
const onJob = (relations: Record<string, string[]>): ResourceFacts => ({ module: 'jobs', id: 'J-1', relations })
const SUBJECT: Subject = { id: 'me', roles: [] }

t.test('grantStanding: every branch of the rule', async t => {
  for (const row of rows) {
    const index = jobs.actionIndex.get(row.action)
    if (index === undefined) throw new Error(`${row.name}: no action ${row.action}`)
    const flags = row.flags === null ? undefined : flagsOf(...row.flags)
    const resource = row.relations === null ? undefined : onJob(row.relations)
    t.equal(grantStanding(row.grant, jobs, index, flags, resource, ME, SUBJECT), row.standing, row.name)
  }
})

t.test('with the resource unknown, the standing is the known one\'s with the scope left open', async t => {
  const probes = [nobody, mine, crews, createdByMe, others]
  for (const row of rows) {
    const index = jobs.actionIndex.get(row.action) as number
    const flags = row.flags === null ? undefined : flagsOf(...row.flags)
    const open = grantStanding(row.grant, jobs, index, flags, undefined, ME)
    const known = probes.map(r => grantStanding(row.grant, jobs, index, flags, onJob(r), ME, SUBJECT))
    const scope = grantScope(row.grant, index)
    if (open === GRANTS) {
      t.ok(known.every(s => s === GRANTS) && scope.kind === 'all', `${row.name}: granted on every resource`)
    } else if (open === GRANTS_IN_SCOPE) {
      t.ok(known.every(s => s === GRANTS || s === NOT_IN_SCOPE), `${row.name}: only the scope depends on the resource`)
      t.equal(known.some(s => s === GRANTS), scope.kind !== 'none' && !(scope.kind === 'relations' && scope.relations.length === 0), `${row.name}: its scope says where`)
    } else {
      t.ok(known.every(s => s === open), `${row.name}: the same failure on every resource`)
    }
  }
})

t.test('grantScope: the per-action scope, else the access; every resource under admin', async t => {
  const view = jobs.actionIndex.get('view') as number
  const close = jobs.actionIndex.get('close') as number
  const grant = roleGrant({ access: 'assigned', level: 'full', scope: { close: ['creator'] } })
  t.same(grantScope(grant, view), { kind: 'relations', access: 'assigned', relations: ['assignee', 'responsible'] })
  t.same(grantScope(grant, close), { kind: 'relations', access: ['creator'], relations: ['creator'] })
  t.same(grantScope(roleGrant({ admin: true, access: 'none' }), view), { kind: 'all', access: 'all' })
})

t.test('each failure standing indexes the reason code decide gives for it', async t => {
  t.same([ACTION_DENIED, LEVEL_INSUFFICIENT, FLAG_MISSING, NOT_IN_SCOPE].map(i => GRANT_FAILURES[i]), ['action_denied', 'level_insufficient', 'flag_missing', 'not_in_scope'])
})
