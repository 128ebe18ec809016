/**
 * Who may change a subject (issue 4, docs/admin-rules.md). Two kinds of rules:
 *
 * - The owner's: always, whoever writes (even the root key). The owner cannot be deleted,
 *   demoted (losing `owner`), deactivated or barred from logging in; and no one becomes
 *   owner by a plain write while the tenant has an owner: ownership moves only by an
 *   explicit transfer, done by the owner.
 * - The acting user's: when a write names an actor (`Gatehouse-Actor`), the tenant's own
 *   policy decides. The actor must be an active subject allowed one of the actions that
 *   the bundle's `user_admin` lists for the write (`create` for a new subject, `edit` for
 *   a change, `delete` for a removal; default: module `users`, actions of those names),
 *   on the module of every rule that governs the subject as it is before the write and as
 *   it is after (`by_role`: a subcontractor is administered through another module than
 *   an employee, and turning one into the other needs both); and when the subject holds or
 *   receives a `protected` role, the actor must hold a protected role itself (or be the owner).
 */
import { decide, refuseSubject } from './decide.js'
import type { ResourceFacts, Subject, UserAdminRule } from './model.js'
import type { Decision } from './reasons.js'
import { getOwn, isRecord, listOf } from './own.js'
import type { CompiledPolicy } from './policy.js'
import type { UserAdminWrite } from './user-admin.js'
import { DEFAULT_USER_ADMIN, userAdminRules } from './user-admin.js'

/** The module of user administration when the bundle has no `user_admin`. */
export const USERS_MODULE = DEFAULT_USER_ADMIN.module

export type SubjectChangeRefusalCode =
  | 'owner_protected'
  | 'owner_transfer_required'
  | 'actor_unknown'
  | 'actor_inactive'
  | 'users_module_missing'
  | 'users_permission'
  | 'protected_role'

export interface SubjectChangeRefusal {
  code: SubjectChangeRefusalCode
  message: string
}

/**
 * A write of one subject: created (`before` undefined), changed, or deleted (`after`
 * undefined). A write with neither is not one, so the type leaves it out.
 */
export type SubjectWrite =
  | { before: undefined, after: Subject }
  | { before: Subject, after: Subject | undefined }

export type SubjectChange = SubjectWrite & {
  /** Ids of the tenant's current owners (before the write). */
  owners: readonly string[]
  /** The acting user the write names, if any: its id, and the stored subject (`undefined` when unknown). */
  actor?: { id: string, subject: Subject | undefined }
}

/** `undefined` when the change is allowed, else the first rule it breaks. */
export function checkSubjectChange (policy: CompiledPolicy | undefined, change: SubjectChange): SubjectChangeRefusal | undefined {
  const { before, after } = change
  const id = change.before === undefined ? change.after.id : change.before.id
  if (before?.owner === true) {
    if (after === undefined) return refuse('owner_protected', `\`${id}\` is the account owner and cannot be deleted; transfer ownership first`)
    if (after.owner !== true) return refuse('owner_protected', `\`${id}\` is the account owner and cannot be demoted; ownership moves only by a transfer`)
    if (refuseSubject(after) !== undefined) return refuse('owner_protected', `\`${id}\` is the account owner and cannot be deactivated or barred from logging in`)
  }
  const [currentOwner] = change.owners
  if (after?.owner === true && before?.owner !== true && currentOwner !== undefined) {
    return refuse('owner_transfer_required', `the tenant has an owner (\`${currentOwner}\`): ownership moves only by a transfer done by the owner`)
  }
  if (change.actor === undefined) return undefined

  const actor = change.actor.subject
  if (actor === undefined) return refuse('actor_unknown', `the acting user \`${change.actor.id}\` is not a subject of the tenant`)
  const inactive = refuseSubject(actor)
  if (inactive !== undefined) return refuse('actor_inactive', `the acting user cannot act: ${inactive.reason.message}`)
  if (policy === undefined) return refuse('users_module_missing', 'the tenant has no policy, so no acting user may change users')
  const write: UserAdminWrite = before === undefined ? 'create' : after === undefined ? 'delete' : 'edit'
  const rules = new Set([...rulesOf(policy, before), ...rulesOf(policy, after)])
  // The target as conditions see it: as it will be when created, as it is otherwise.
  const target = before ?? after
  for (const rule of rules) {
    const refusal = refuseRule(policy, rule, write, actor, target)
    if (refusal !== undefined) return refusal
  }
  const [guarded] = [...protectedRoles(policy, before), ...protectedRoles(policy, after)]
  if (guarded !== undefined && actor.owner !== true && protectedRoles(policy, actor).length === 0) {
    return refuse('protected_role', `\`${id}\` holds or receives the protected role \`${guarded}\`: only a holder of a protected role may change it`)
  }
  return undefined
}

/** The `user_admin` rules that govern `subject` (none for a subject that does not exist on that side of the write). */
function rulesOf (policy: CompiledPolicy, subject: Subject | undefined): UserAdminRule[] {
  return subject === undefined ? [] : userAdminRules(policy.bundle, roleNames(subject))
}

/** Whether the actor is allowed one of the rule's actions for the write, as a normal decision on the rule's module. */
function refuseRule (policy: CompiledPolicy, rule: UserAdminRule, write: UserAdminWrite, actor: Subject, target: Subject): SubjectChangeRefusal | undefined {
  const id = target.id
  // Only the default rule can name a missing module: a `user_admin` naming one is refused at import.
  if (!policy.modules.has(rule.module)) {
    return refuse('users_module_missing', `the policy has no \`${rule.module}\` module, so no acting user may change users`)
  }
  const resource: ResourceFacts = { module: rule.module, id, relations: {} }
  if (rule.roles_attribute !== undefined) resource.attributes = { [rule.roles_attribute]: roleNames(target) }
  const decisions = rule[write].map(action => decide(policy, { subject: actor, action, resource }))
  if (decisions.some(d => d.allowed)) return undefined
  const actions = rule[write].map(a => `\`${a}\``).join(' or ')
  // INVARIANT: a rule's lists are not empty (checked at import; the default names one action each).
  const reason = (decisions[0] as Decision).reason.message
  return refuse('users_permission', `\`${actor.id}\` may not ${actions} on \`${rule.module}\` (to ${write} \`${id}\`): ${reason}`)
}

/** The roles a subject holds, tenant-wide or in any project. */
function roleNames (subject: Subject): string[] {
  const names = [...listOf(subject.roles)]
  if (isRecord(subject.projects)) for (const project of Object.keys(subject.projects)) names.push(...listOf(getOwn(subject.projects, project)))
  return names
}

/** The protected roles a subject holds, tenant-wide or in any project. */
function protectedRoles (policy: CompiledPolicy, subject: Subject | undefined): string[] {
  if (subject === undefined) return []
  return roleNames(subject).filter(name => policy.roles.get(name)?.protected === true)
}

function refuse (code: SubjectChangeRefusalCode, message: string): SubjectChangeRefusal {
  return { code, message }
}
