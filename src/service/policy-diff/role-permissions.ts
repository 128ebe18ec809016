/**
 * What one role, by itself, gives on one action or one field of a compiled policy: the
 * role-level reading of docs/decisions/0001-decision-semantics.md ("A grant grants an
 * action", "Fields"), computed from the engine's compiled types without a subject or a
 * resource. Pure.
 */
import type { CompiledGrant, CompiledModule, CompiledPolicy, CompiledRole, CompiledScope, FieldMode } from '../../engine/index.js'
import type { RolePermission, RoleScope } from './types.js'

const NOT_GRANTED: RolePermission = Object.freeze({ granted: false })

/** Bit `i` of one of the engine's bitsets (`Uint32Array`, bit `i` in word `i >>> 5`). */
export function bitSet (bits: Uint32Array, i: number): boolean {
  return (((bits[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1
}

/** Whether the role holds `flag` itself; an undeclared flag is never held. */
function holds (policy: CompiledPolicy, role: CompiledRole, flag: string): boolean {
  const i = policy.flagIndex.get(flag)
  return i !== undefined && bitSet(role.flags, i)
}

/** The scope of a compiled grant scope, relation lists sorted. */
export function roleScope (scope: CompiledScope): RoleScope {
  switch (scope.kind) {
    case 'none': return { kind: 'none' }
    case 'all': return { kind: 'all' }
    case 'relations': {
      const relations = [...new Set(scope.relations)].sort(compareNames)
      if (relations.length === 0) return { kind: 'none' }
      return scope.access === 'assigned' ? { kind: 'assigned', relations } : { kind: 'relations', relations }
    }
    default: {
      // Exhaustive: the compiler refuses a kind left out above.
      const unknown: never = scope
      return unknown
    }
  }
}

/**
 * The role's permission on `action` of `module` in `policy`; not granted when the role,
 * the module or the action does not exist there.
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
  if (!bitSet(grant.granted, index)) return NOT_GRANTED
  const flags = [...(module.actionFlagNames[index] ?? [])].sort(compareNames)
  return {
    granted: true,
    scope: roleScope(grant.scopes[index] as CompiledScope),
    flags,
    missingFlags: flags.filter(f => !holds(policy, role, f))
  }
}

/** A field's mode under one grant, as the engine's `fieldMode` reads it. */
function grantFieldMode (grant: CompiledGrant, field: string): FieldMode {
  return grant.fields.get(field) ?? ((grant.rank ?? 0) >= 1 ? 'edit' : 'read')
}

/**
 * The mode of `field` of `module` under the role alone: `edit` for `all` roles and module
 * admins; the grant's mode, `hidden` when the role lacks one of the field's flags; `hidden`
 * without a grant or when the role, module or field does not exist.
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
  return grantFieldMode(grant, field.name)
}

/** Whether two role permissions say the same. */
export function samePermission (a: RolePermission, b: RolePermission): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Code-point order, the same in every locale. */
export function compareNames (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Names of both sides: sorted. */
export function unionSorted (a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort(compareNames)
}

/** Actions of a module on both sides: the new declaration order, then those only the old side declares, in its order. */
export function unionActions (before: CompiledModule | undefined, after: CompiledModule | undefined): string[] {
  const names = [...(after?.actions ?? [])]
  for (const a of before?.actions ?? []) if (!names.includes(a)) names.push(a)
  return names
}
