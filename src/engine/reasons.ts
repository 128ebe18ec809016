import type { FieldAccess } from './model.js'

/**
 * The catalogue of decision reasons. Codes are stable wire values: never rename one,
 * add a new one. Each names the step of DESIGN.md's decision order that decided.
 */
export const REASON_CODES = {
  // step 1: the subject
  subject_unknown: 'no stored subject has this id or alias',
  subject_inactive: 'the subject is inactive',
  subject_login_disabled: 'the subject cannot log in (`login: false`)',
  // before step 2: the request names something the policy lacks
  module_unknown: 'the policy has no such module',
  action_unknown: 'the module has no such action',
  // step 1 (an action's `when`), 3 (a grant's or an override's `when`): a condition does not hold
  condition_failed: 'a condition of the policy does not hold for this resource or request',
  // step 2
  owner: 'the account owner may do everything',
  // step 3
  override_deny: 'a per-user override denies the action',
  // step 4
  acl_allow: 'the resource ACL allows the action',
  acl_deny: 'the resource ACL does not allow the action',
  // step 5, allowed
  role_all: 'a role grants everything (`all: true`)',
  module_admin: 'a role is admin of the module',
  role_grant: 'a role grants the action',
  override_grant: 'a per-user override grants the action',
  // step 5/6, denied: the most specific reason why no grant applied
  action_denied: 'every grant that reaches the action denies it',
  flag_missing: 'the action needs a flag the subject does not hold',
  not_in_scope: 'the resource is outside the scope of every grant of the action',
  level_insufficient: 'the action needs a higher permission level',
  no_grant: 'no role grants the module',
  // evaluation of one item failed (batch only); fails closed
  evaluation_error: 'the evaluation failed'
} as const

export type ReasonCode = keyof typeof REASON_CODES

export interface Reason {
  readonly code: ReasonCode
  /**
   * One sentence naming the subject, action, module and role involved. A decision's
   * reason builds it only when read; `JSON.stringify` gives `{ code, message }`.
   */
  readonly message: string
}

export interface Decision {
  allowed: boolean
  reason: Reason
  /** Present on an allowed decision on a module that declares fields; frozen, maybe shared. */
  fields?: FieldAccess
}
