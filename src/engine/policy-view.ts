/**
 * A compiled policy as reports read it, for those that compare policies (the policy
 * diff): what it declares (`policyDeclarations`), and what one role, by itself, gives on
 * one action (`rolePermission`) or one field (`roleFieldMode`), the role-level reading of
 * DESIGN.md §1 without a subject or a resource. Grants are weighed by `grantStanding`, as
 * decisions weigh them, so that this view and decisions cannot drift apart; compiled
 * types and bitsets stay inside the engine. Pure.
 */
import { hasBit } from './bits.js'
import { fieldMode } from './fields.js'
import { GRANTS_IN_SCOPE, grantCondition, grantScope, grantStanding } from './grant.js'
import type { FieldMode, Level } from './model.js'
import { LEVELS } from './model.js'
import { listOf } from './own.js'
import type { CompiledModule, CompiledPolicy, CompiledRole, CompiledScope } from './policy.js'

/**
 * Which resources a role's grant reaches for one action:
 * - `none`: no resource (access `none`, or an empty relation list);
 * - `all`: every resource of the module;
 * - `assigned`: those where the subject appears in one of `relations` (the module's
 *   `assigned` relations, resolved, so that a change of `assigned` shows);
 * - `relations`: those where the subject appears in one of the listed relations;
 * - `admin`: the grant is `admin: true`: every action on every resource, ACLs, levels and
 *   flags ignored;
 * - `all-role`: the role is `all: true`: every action of every module.
 * Relation lists are sorted.
 */
export type RoleScope =
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'assigned', relations: string[] }
  | { kind: 'relations', relations: string[] }
  | { kind: 'admin' }
  | { kind: 'all-role' }

/**
 * A role's permission on one action of one module. `granted`: the role's grant gives the
 * action (by level or `allow`, and not in `deny`; or `admin`, or `all: true`). A granted
 * action also needs `flags` (the action's flags, sorted; none under `admin` and `all`),
 * held through any role of the subject or an override: `missingFlags` are those the role
 * does not hold itself. A grant with a `when` for the action grants only where it holds:
 * `when` is its CEL text (absent without one). An action, module or role that does not
 * exist is not granted.
 */
export type RolePermission =
  | { granted: false }
  | { granted: true, scope: RoleScope, flags: string[], missingFlags: string[], when?: string }

/** An action: the level it needs, the flags it needs, in declaration order, and its `when` (absent without one). */
export interface ActionDeclaration {
  name: string
  level: Level
  flags: readonly string[]
  when?: string
}

/** A field and the flags needed to see it. */
export interface FieldDeclaration {
  name: string
  flags: readonly string[]
}

/** A module: its relations, those access `assigned` means (resolved: all of them by default), its actions in declaration order, its fields sorted by name. */
export interface ModuleDeclaration {
  name: string
  relations: readonly string[]
  assigned: readonly string[]
  actions: readonly ActionDeclaration[]
  fields: readonly FieldDeclaration[]
}

/** A role: `all`, `protected`, and the flags it holds itself, in the policy's flag order. */
export interface RoleDeclaration {
  name: string
  all: boolean
  protected: boolean
  flags: readonly string[]
}

/** What a policy declares: flags, modules and roles, each in declaration order. */
export interface PolicyDeclarations {
  flags: readonly string[]
  modules: ReadonlyMap<string, ModuleDeclaration>
  roles: ReadonlyMap<string, RoleDeclaration>
}

/** What `policy` declares, defaults resolved as decisions read them. */
export function policyDeclarations (policy: CompiledPolicy): PolicyDeclarations {
  const modules = new Map<string, ModuleDeclaration>()
  for (const module of policy.modules.values()) modules.set(module.name, declareModule(module))
  const roles = new Map<string, RoleDeclaration>()
  for (const role of policy.roles.values()) {
    const flags = [...policy.flagIndex].filter(([, i]) => hasBit(role.flags, i)).map(([flag]) => flag)
    roles.set(role.name, { name: role.name, all: role.all, protected: role.protected, flags })
  }
  return { flags: [...policy.flagIndex.keys()], modules, roles }
}

/** What `policy` declares of module `name`; `undefined` when it has no such module. */
export function moduleDeclaration (policy: CompiledPolicy, name: string): ModuleDeclaration | undefined {
  const module = policy.modules.get(name)
  return module === undefined ? undefined : declareModule(module)
}

function declareModule (module: CompiledModule): ModuleDeclaration {
  return {
    name: module.name,
    relations: module.relations,
    assigned: module.assigned,
    actions: module.actions.map((name, i) => {
      const action: ActionDeclaration = { name, level: LEVELS[module.actionRank[i] as number] as Level, flags: listOf(module.actionFlagNames[i]) }
      const when = module.actionWhen[i]
      if (when !== undefined) action.when = when.text
      return action
    }),
    fields: module.fields.map(f => ({ name: f.name, flags: f.flagNames }))
  }
}

const NOT_GRANTED: RolePermission = Object.freeze({ granted: false })

/** Names are only read where the resource is known; here it never is. */
const NO_NAMES: ReadonlySet<string> = new Set()

/**
 * The role's permission on `action` of `module` in `policy`; not granted when the role,
 * the module or the action does not exist there. The subject's flags are not known: the
 * action's flags are listed instead, with those the role itself lacks.
 */
export function rolePermission (policy: CompiledPolicy, roleName: string, moduleName: string, action: string): RolePermission {
  const role = policy.roles.get(roleName)
  const module = policy.modules.get(moduleName)
  const index = module?.actionIndex.get(action)
  if (role === undefined || module === undefined || index === undefined) return NOT_GRANTED
  if (role.all) return { granted: true, scope: { kind: 'all-role' }, flags: [], missingFlags: [] }
  const grant = role.grants.get(module.name)
  if (grant === undefined) return NOT_GRANTED
  if (grant.admin) return { granted: true, scope: { kind: 'admin' }, flags: [], missingFlags: [] }
  if (grantStanding(grant, module, index, undefined, undefined, NO_NAMES) !== GRANTS_IN_SCOPE) return NOT_GRANTED
  const flags = [...listOf(module.actionFlagNames[index])].sort()
  const permission: RolePermission = { granted: true, scope: roleScope(grantScope(grant, index)), flags, missingFlags: flags.filter(f => !holds(policy, role, f)) }
  const when = grantCondition(grant, index)
  if (when !== undefined) permission.when = when.text
  return permission
}

/**
 * The mode of `field` of `module` under the role alone: `edit` for `all` roles and module
 * admins; the grant's mode (as decisions read it), `hidden` when the role lacks one of the
 * field's flags; `hidden` without a grant or when the role, module or field does not exist.
 */
export function roleFieldMode (policy: CompiledPolicy, roleName: string, moduleName: string, fieldName: string): FieldMode {
  const role = policy.roles.get(roleName)
  const module = policy.modules.get(moduleName)
  const field = module?.fields.find(f => f.name === fieldName)
  if (role === undefined || module === undefined || field === undefined) return 'hidden'
  if (role.all) return 'edit'
  const grant = role.grants.get(module.name)
  if (grant === undefined) return 'hidden'
  if (grant.admin) return 'edit'
  if (!field.flagNames.every(f => holds(policy, role, f))) return 'hidden'
  return fieldMode(grant, field.name)
}

/** Whether the role holds `flag` itself; an undeclared flag is never held. */
function holds (policy: CompiledPolicy, role: CompiledRole, flag: string): boolean {
  const i = policy.flagIndex.get(flag)
  return i !== undefined && hasBit(role.flags, i)
}

/** A compiled scope as the view shows it: relation lists resolved, sorted and without repeats. */
function roleScope (scope: CompiledScope): RoleScope {
  if (scope.kind === 'none') return { kind: 'none' }
  if (scope.kind === 'all') return { kind: 'all' }
  const relations = [...new Set(scope.relations)].sort()
  if (relations.length === 0) return { kind: 'none' }
  return scope.access === 'assigned' ? { kind: 'assigned', relations } : { kind: 'relations', relations }
}
