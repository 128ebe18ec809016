/**
 * Field permissions of an allowed decision (ADR 0001, "Fields"): which fields of the
 * resource the subject may see and which it may change. Every `FieldAccess` made here is
 * frozen, lists included, so that decisions may share one.
 */
import type { Bits } from './bits.js'
import { covers } from './bits.js'
import type { FieldAccess, FieldMode } from './model.js'
import type { CompiledField, CompiledGrant, CompiledModule } from './policy.js'

/** Every field visible and editable: the owner, `all` roles and module admins. */
export function allFields (fields: readonly CompiledField[]): FieldAccess {
  const names = fields.map(f => f.name)
  return frozenAccess(names, [...names])
}

/**
 * A field's mode under one grant: the grant's `fields` entry, else `edit` at level
 * `management` or `full` and `read` at `limited` or without a level.
 */
export function fieldMode (grant: CompiledGrant, field: string): FieldMode {
  return grant.fields.get(field) ?? ((grant.rank ?? 0) >= 1 ? 'edit' : 'read')
}

/**
 * Fields under the grants that granted the action: visible when not hidden under at
 * least one, editable when `edit` under at least one; a field whose flags are not all
 * held is hidden. Lists are sorted (module fields are kept sorted by name).
 */
export function grantFields (module: CompiledModule, grants: readonly CompiledGrant[], flags: Bits): FieldAccess {
  const visible: string[] = []
  const editable: string[] = []
  for (const field of module.fields) {
    if (!covers(flags, field.flags)) continue
    let seen = false
    let edit = false
    for (const grant of grants) {
      const mode = fieldMode(grant, field.name)
      seen ||= mode !== 'hidden'
      edit ||= mode === 'edit'
    }
    if (seen) visible.push(field.name)
    if (edit) editable.push(field.name)
  }
  return frozenAccess(visible, editable)
}

/**
 * Fields when the resource ACL allowed: the same rule over every role grant on the
 * module that applies, whatever its scope; with no such grant, every field whose flags
 * are held is visible and none is editable.
 */
export function aclFields (module: CompiledModule, roleGrants: readonly CompiledGrant[], flags: Bits): FieldAccess {
  if (roleGrants.length > 0) return grantFields(module, roleGrants, flags)
  return frozenAccess(module.fields.filter(f => covers(flags, f.flags)).map(f => f.name), [])
}

function frozenAccess (visible: string[], editable: string[]): FieldAccess {
  return Object.freeze({ visible: Object.freeze(visible), editable: Object.freeze(editable) })
}
