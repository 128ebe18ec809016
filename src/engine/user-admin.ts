/**
 * The bundle's `user_admin` key: which module and actions govern user administration
 * (the acting-user rules of actor.ts). Validated here, with the bundle's paths; the
 * default, when the bundle says nothing, is today's rule: module `users`, actions
 * `create`, `edit`, `delete`.
 */
import type { Declarations } from './bundle-check.js'
import { child, IssueSink } from './issues.js'
import type { Bundle, UserAdmin, UserAdminRule } from './model.js'
import { getOwn } from './own.js'
import { checkName, expectObject, rejectUnknownKeys, stringList } from './shape.js'

export const DEFAULT_USER_ADMIN: UserAdmin = Object.freeze({ module: 'users', create: ['create'], edit: ['edit'], delete: ['delete'] })

const RULE_KEYS = ['module', 'create', 'edit', 'delete', 'roles_attribute'] as const
const USER_ADMIN_KEYS = [...RULE_KEYS, 'by_role']

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

/** Checks `user_admin`; `roles` are the bundle's declared role names. */
export function checkUserAdmin (sink: IssueSink, value: unknown, decl: Declarations, roles: ReadonlySet<string>): UserAdmin | undefined {
  if (value === undefined) return undefined
  const path = '/user_admin'
  const object = expectObject(sink, value, path, '`user_admin`')
  if (object === undefined) return undefined
  rejectUnknownKeys(sink, object, USER_ADMIN_KEYS, path, '`user_admin`')
  const rule = checkRule(sink, object, path, '`user_admin`', decl)
  let byRole: Record<string, UserAdminRule> | undefined
  if (object.by_role !== undefined) {
    const at = child(path, 'by_role')
    const entries = expectObject(sink, object.by_role, at, '`by_role` of `user_admin`')
    if (entries !== undefined) {
      byRole = {}
      for (const [role, v] of Object.entries(entries)) {
        const roleAt = child(at, role)
        checkName(sink, role, roleAt, 'role')
        if (!roles.has(role)) sink.add(roleAt, 'unknown_role', `unknown role \`${role}\` in \`user_admin\``)
        const what = `the rule of role \`${role}\` in \`user_admin\``
        const entry = expectObject(sink, v, roleAt, what)
        if (entry === undefined) continue
        rejectUnknownKeys(sink, entry, RULE_KEYS, roleAt, what)
        const checked = checkRule(sink, entry, roleAt, what, decl)
        // INVARIANT: a `__proto__` key is an invalid name, so an object it corrupts here never leaves the validator.
        if (checked !== undefined) byRole[role] = checked
      }
    }
  }
  if (rule === undefined) return undefined
  return byRole === undefined || Object.keys(byRole).length === 0 ? rule : { ...rule, by_role: byRole }
}

/** One rule: a declared module and, for each write, a non-empty list of its actions. */
function checkRule (sink: IssueSink, rule: Record<string, unknown>, path: string, what: string, decl: Declarations): UserAdminRule | undefined {
  const moduleName = rule.module
  let actions: ReadonlySet<string> | undefined
  if (moduleName === undefined) {
    sink.add(child(path, 'module'), 'missing_property', `${what} lacks required property \`module\``)
  } else if (typeof moduleName !== 'string') {
    sink.add(child(path, 'module'), 'invalid_type', `\`module\` of ${what} must be a string`)
  } else {
    actions = decl.modules.get(moduleName)?.actions
    if (actions === undefined) sink.add(child(path, 'module'), 'unknown_module', `unknown module \`${moduleName}\` in ${what}`)
  }
  const lists: Partial<Record<UserAdminWrite, string[]>> = {}
  for (const write of ['create', 'edit', 'delete'] as const) {
    const at = child(path, write)
    if (rule[write] === undefined) {
      sink.add(at, 'missing_property', `${what} lacks required property \`${write}\``)
      continue
    }
    const list = stringList(sink, rule[write], at, `\`${write}\` of ${what}`, (action, actionAt) => {
      if (actions !== undefined && !actions.has(action)) sink.add(actionAt, 'unknown_action', `unknown action \`${action}\` in module \`${String(moduleName)}\``)
    })
    if (list !== undefined && list.length === 0) sink.add(at, 'invalid_value', `\`${write}\` of ${what} must name at least one action`)
    lists[write] = list
  }
  const rolesAttribute = rule.roles_attribute
  if (rolesAttribute !== undefined) {
    const at = child(path, 'roles_attribute')
    const declared = typeof moduleName === 'string' ? decl.modules.get(moduleName)?.attributes.get(String(rolesAttribute)) : undefined
    if (typeof rolesAttribute !== 'string') {
      sink.add(at, 'invalid_type', `\`roles_attribute\` of ${what} must be a string`)
    } else if (actions !== undefined && declared?.type !== 'list') {
      sink.add(at, 'invalid_value', `\`roles_attribute\` of ${what} must name a \`[string]\` attribute of module \`${String(moduleName)}\``)
    }
  }
  if (typeof moduleName !== 'string' || lists.create === undefined || lists.edit === undefined || lists.delete === undefined) return undefined
  const checked: UserAdminRule = { module: moduleName, create: lists.create, edit: lists.edit, delete: lists.delete }
  if (typeof rolesAttribute === 'string') checked.roles_attribute = rolesAttribute
  return checked
}
