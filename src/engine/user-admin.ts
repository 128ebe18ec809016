/**
 * The bundle's `user_admin` key: which module and actions govern user administration
 * (the acting-user rules of actor.ts). Its references are checked here; the
 * default, when the bundle says nothing, is today's rule: module `users`, actions
 * `create`, `edit`, `delete`.
 */
import type { Declarations } from './bundle-check.js'
import type { IssueSink } from './issues.js'
import { child } from './issues.js'
import type { Bundle, UserAdmin, UserAdminRule } from './model.js'
import { getOwn, isRecord } from './own.js'
import { eachName } from './references.js'

export const DEFAULT_USER_ADMIN: UserAdmin = Object.freeze({ module: 'users', create: ['create'], edit: ['edit'], delete: ['delete'] })

/** The three kinds of subject write, each named by the rule's key for it. */
export type UserAdminWrite = 'create' | 'edit' | 'delete'

/** The rules that govern a subject holding `roles`: one per role `by_role` names, and the top-level one for the rest (or no role at all). */
export function userAdminRules (bundle: Bundle, roles: readonly string[]): UserAdminRule[] {
  const admin = bundle.user_admin ?? DEFAULT_USER_ADMIN
  const rules = new Set<UserAdminRule>()
  for (const role of roles) rules.add(getOwn(admin.by_role, role) ?? admin)
  if (rules.size === 0) rules.add(admin)
  return [...rules]
}

/**
 * What `user_admin` names (its structure is the bundle format's): declared roles in
 * `by_role`, and in each rule a declared module, its actions, and a `[string]` attribute
 * of it as `roles_attribute`. `roles` are the bundle's declared role names.
 */
export function checkUserAdminReferences (sink: IssueSink, value: unknown, decl: Declarations, roles: ReadonlySet<string>): void {
  if (!isRecord(value)) return
  const path = '/user_admin'
  checkRuleReferences(sink, value, path, '`user_admin`', decl)
  for (const [role, rule] of Object.entries(isRecord(value.by_role) ? value.by_role : {})) {
    const at = child(child(path, 'by_role'), role)
    if (!roles.has(role)) sink.add(at, 'unknown_role', `unknown role \`${role}\` in \`user_admin\``)
    if (isRecord(rule)) checkRuleReferences(sink, rule, at, `the rule of role \`${role}\` in \`user_admin\``, decl)
  }
}

function checkRuleReferences (sink: IssueSink, rule: Record<string, unknown>, path: string, what: string, decl: Declarations): void {
  const moduleName = rule.module
  if (typeof moduleName !== 'string') return
  const module = decl.modules.get(moduleName)
  if (module === undefined) {
    sink.add(child(path, 'module'), 'unknown_module', `unknown module \`${moduleName}\` in ${what}`)
    return
  }
  for (const write of ['create', 'edit', 'delete'] as const) {
    eachName(rule[write], child(path, write), (action, at) => {
      if (!module.actions.has(action)) sink.add(at, 'unknown_action', `unknown action \`${action}\` in module \`${moduleName}\``)
    })
  }
  const rolesAttribute = rule.roles_attribute
  if (typeof rolesAttribute === 'string' && module.attributes.get(rolesAttribute)?.type !== 'list') {
    sink.add(child(path, 'roles_attribute'), 'invalid_value', `\`roles_attribute\` of ${what} must name a \`[string]\` attribute of module \`${moduleName}\``)
  }
}
