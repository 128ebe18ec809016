/**
 * Fixed roles (a role with `fixed: true`; seed 003: "Les sous-traitants et les
 * observateurs disposent d'autorisations fixes"): such a role changes only by a
 * whole-bundle import (`PUT /v1/tenants/{t}/policy`, a key with `admin`). An edit of one
 * part of the bundle (a role, a module, a flag) is refused with `role_fixed` when:
 * - it writes or deletes a role that is fixed before or after the edit (so that marking
 *   a role fixed, or unmarking it, is an import too);
 * - it changes a fixed role's definition indirectly (`cascade` removing its grant or flag);
 * - it leaves the bundle unable to compile where a fixed role refers to what it removes;
 * - it changes what a fixed role grants, action by action and field by field (the policy
 *   diff's role view), e.g. a module edit that lowers an action's level under a fixed
 *   role's grant, or adds an action within its level.
 * Edits that leave every fixed role granting exactly what it did (a description, a new
 * action above its level, a module it has no grant on) are allowed. Pure.
 */
import { isDeepStrictEqual } from 'node:util'
import { child } from '../engine/index.js'
import type { CompiledPolicy, Issue } from '../engine/index.js'
import { getOwn } from '../engine/own.js'
import type { Bundle } from '../engine/model.js'
import { ServiceError } from './errors.js'
import { diffPolicies } from './policy-diff/index.js'

/** The names of the bundle's fixed roles. */
export function fixedRoles (bundle: Bundle): string[] {
  return Object.entries(bundle.roles).filter(([, role]) => role.fixed === true).map(([name]) => name)
}

/** Which definition an edit writes or deletes. */
export interface PartEdit {
  part: 'modules' | 'flags' | 'roles'
  name: string
}

/**
 * Throws `role_fixed` when the edit from `before` to `after` changes a fixed role.
 * `compiled` is `after` compiled (its issues when it does not compile); `compileBefore`
 * compiles `before` (valid, since it is stored), only called when a diff is needed.
 */
export function refuseFixedRoleChange (
  before: Bundle, after: Bundle, edit: PartEdit,
  compiled: { ok: true, policy: CompiledPolicy } | { ok: false, issues: readonly Issue[] },
  compileBefore: () => CompiledPolicy
): void {
  const fixed = [...new Set([...fixedRoles(before), ...fixedRoles(after)])]
  if (fixed.length === 0) return
  if (edit.part === 'roles') {
    if (fixed.includes(edit.name)) throw roleFixed(edit.name, `role \`${edit.name}\` is fixed: only a whole-bundle import may change it`)
    return
  }
  const what = `${edit.part === 'modules' ? 'module' : 'flag'} \`${edit.name}\``
  for (const role of fixed) {
    if (!isDeepStrictEqual(getOwn(before.roles, role), getOwn(after.roles, role))) {
      throw roleFixed(role, `role \`${role}\` is fixed: this edit of ${what} would change its definition; only a whole-bundle import may`)
    }
  }
  if (!compiled.ok) {
    const broken = fixed.find(role => compiled.issues.some(i => i.path.startsWith(`${child('/roles', role)}/`)))
    if (broken !== undefined) throw roleFixed(broken, `role \`${broken}\` is fixed and uses ${what}: only a whole-bundle import may change it`)
    return
  }
  const diff = diffPolicies(compileBefore(), compiled.policy)
  const permission = diff.permissions.find(p => fixed.includes(p.role))
  if (permission !== undefined) {
    throw roleFixed(permission.role, `role \`${permission.role}\` is fixed: this edit of ${what} would change its permission \`${permission.action}\` on \`${permission.module}\` (${permission.change}); only a whole-bundle import may`)
  }
  const field = diff.fields.find(f => fixed.includes(f.role))
  if (field !== undefined) {
    throw roleFixed(field.role, `role \`${field.role}\` is fixed: this edit of ${what} would change its field \`${field.field}\` of \`${field.module}\` from \`${field.before}\` to \`${field.after}\`; only a whole-bundle import may`)
  }
}

function roleFixed (role: string, message: string): ServiceError {
  return new ServiceError('role_fixed', message, [
    { in: 'body', path: child('/roles', role), message, code: 'role_fixed' }
  ])
}
