/**
 * The reasons `decide` returns: a code plus the arguments of its sentence. The sentence
 * is built only when `message` is first read (or the reason is serialized), so that a
 * decision whose message nobody reads costs no string building.
 * INVARIANT: `message` and `toJSON()` say exactly what an eagerly built
 * `{ code, message }` would; the JSON form is the wire form.
 */
import type { CompiledCondition } from './condition.js'
import type { ReadValue } from './condition-why.js'
import { failedParts } from './condition-why.js'
import type { CandidateGrant, DecisionContext } from './context.js'
import { effectiveGrant, grantCondition, overrideCondition } from './grant.js'
import type { ConditionInputs, ResourceFacts, Subject } from './model.js'
import { LEVELS } from './model.js'
import { listOf } from './own.js'
import { hasBit } from './bits.js'
import type { CompiledGrant, CompiledScope, Rank } from './policy.js'
import type { Reason, ReasonCode } from './reasons.js'
import { describeScope } from './scope.js'

/** A reason whose message is made on first read, then kept. */
abstract class LazyReason implements Reason {
  readonly code: ReasonCode
  #message: string | undefined

  constructor (code: ReasonCode) {
    this.code = code
    this.#message = undefined
  }

  get message (): string {
    this.#message ??= this.sentence()
    return this.#message
  }

  /** The wire form, as `JSON.stringify` writes it. */
  toJSON (): { code: ReasonCode, message: string } {
    return { code: this.code, message: this.message }
  }

  protected abstract sentence (): string
}

/** Step 1: no stored subject has the id or alias the request named (`undefined`: it named none). */
export class SubjectUnknownReason extends LazyReason {
  readonly #named: string | undefined
  constructor (named: string | undefined) {
    super('subject_unknown')
    this.#named = named
  }

  protected sentence (): string {
    return this.#named === undefined ? 'unknown subject' : `unknown subject \`${this.#named}\``
  }
}

/** Step 1: the subject is inactive or cannot log in. */
export class SubjectRefusedReason extends LazyReason {
  readonly #subject: string
  constructor (code: 'subject_inactive' | 'subject_login_disabled', subject: string) {
    super(code)
    this.#subject = subject
  }

  protected sentence (): string {
    return this.code === 'subject_inactive'
      ? `subject \`${this.#subject}\` is inactive`
      : `subject \`${this.#subject}\` cannot log in (\`login: false\`)`
  }
}

/** The request names a module the policy lacks. */
export class ModuleUnknownReason extends LazyReason {
  readonly #module: string
  constructor (module: string) {
    super('module_unknown')
    this.#module = module
  }

  protected sentence (): string {
    return `unknown module \`${this.#module}\``
  }
}

/**
 * A reason naming the subject, an action and a module: `action_unknown`, `owner`,
 * `override_deny` and `no_grant`.
 */
export class ActionReason extends LazyReason {
  readonly #subject: string
  readonly #action: string
  readonly #module: string
  constructor (code: 'action_unknown' | 'owner' | 'override_deny' | 'no_grant', subject: string, action: string, module: string) {
    super(code)
    this.#subject = subject
    this.#action = action
    this.#module = module
  }

  protected sentence (): string {
    const subject = this.#subject
    const action = this.#action
    const module = this.#module
    switch (this.code) {
      case 'action_unknown': return `unknown action \`${action}\` in module \`${module}\``
      case 'owner': return `\`${subject}\` is the account owner and may \`${action}\` on \`${module}\``
      case 'override_deny': return `a per-user override of \`${subject}\` denies \`${action}\` on \`${module}\``
      default: return `no role of \`${subject}\` grants \`${action}\` on \`${module}\``
    }
  }
}

/**
 * Step 4 and 5 allowed by a role: `role_all`, `module_admin`, `role_grant`, or
 * `override_grant` (with `role` the first granting role grant's role, `''` when the
 * override granted on its own: role names are never empty).
 */
export class RoleReason extends LazyReason {
  readonly #role: string
  readonly #subject: string
  readonly #action: string
  readonly #module: string
  constructor (code: 'role_all' | 'module_admin' | 'role_grant' | 'override_grant', role: string, subject: string, action: string, module: string) {
    super(code)
    this.#role = role
    this.#subject = subject
    this.#action = action
    this.#module = module
  }

  protected sentence (): string {
    const who = `\`${this.#subject}\``
    const action = this.#action
    const module = this.#module
    const what = `\`${action}\` on \`${module}\` to ${who}`
    switch (this.code) {
      case 'role_all': return `role \`${this.#role}\` grants everything (\`all: true\`), so ${who} may \`${action}\` on \`${module}\``
      case 'module_admin': return `role \`${this.#role}\` is admin of \`${module}\`, so ${who} may \`${action}\``
      case 'role_grant': return `role \`${this.#role}\` grants ${what}`
      default: return `a per-user override${this.#role === '' ? '' : ` (on top of role \`${this.#role}\`)`} grants ${what}`
    }
  }
}

/** How a resource ACL decided: an entry allowed, or why it did not allow. */
export type AclOutcome = 'allowed' | 'no_match' | 'not_allowed' | 'denied'

/** Step 4: the ACL held by `holder` (the resource itself when `holder === resource`) decided. */
export class AclReason extends LazyReason {
  readonly #outcome: AclOutcome
  readonly #who: string
  readonly #holder: string
  readonly #resource: string
  readonly #inherited: boolean
  readonly #subject: string
  readonly #action: string
  readonly #module: string
  /** `who`: the deciding entry's `who` for `allowed` and `denied` (else unused). */
  constructor (outcome: AclOutcome, who: string, holder: string, resource: string, inherited: boolean, subject: string, action: string, module: string) {
    super(outcome === 'allowed' ? 'acl_allow' : 'acl_deny')
    this.#outcome = outcome
    this.#who = who
    this.#holder = holder
    this.#resource = resource
    this.#inherited = inherited
    this.#subject = subject
    this.#action = action
    this.#module = module
  }

  protected sentence (): string {
    const where = this.#inherited
      ? `the ACL of \`${this.#holder}\` (inherited by \`${this.#resource}\`)`
      : `the ACL of \`${this.#resource}\``
    const what = `\`${this.#action}\` on \`${this.#module}\` to \`${this.#subject}\``
    switch (this.#outcome) {
      case 'allowed': return `${where} allows ${what} (entry \`${this.#who}\`)`
      case 'no_match': return `${where} does not allow ${what}: no entry matches`
      case 'not_allowed': return `${where} does not allow ${what}: no matching entry allows it`
      default: return `${where} does not allow ${what}: entry \`${this.#who}\` denies it`
    }
  }
}

/**
 * Why one grant did not grant an action, least specific first: a deny reports the most
 * specific one found over all grants (`no_grant` when there was no grant to try).
 */
export const GRANT_FAILURES = ['action_denied', 'level_insufficient', 'flag_missing', 'not_in_scope', 'condition_failed'] as const
export type GrantFailure = typeof GRANT_FAILURES[number]

/**
 * The action's `when` did not hold (step 1; a grant's or an override's is a
 * `GrantFailureReason`). The sentence names the action, the module, the condition, the
 * parts of it that failed and the values they read.
 */
export class ActionConditionReason extends LazyReason {
  readonly #subject: string
  readonly #action: string
  readonly #module: string
  readonly #condition: CompiledCondition
  readonly #resource: ResourceFacts
  readonly #subjectDoc: Subject
  readonly #inputs: ConditionInputs
  constructor (subject: string, action: string, module: string, condition: CompiledCondition, resource: ResourceFacts, subjectDoc: Subject, inputs: ConditionInputs) {
    super('condition_failed')
    this.#subject = subject
    this.#action = action
    this.#module = module
    this.#condition = condition
    this.#resource = resource
    this.#subjectDoc = subjectDoc
    this.#inputs = inputs
  }

  protected sentence (): string {
    return conditionMessage(this.#subject, this.#action, this.#module, this.#condition, this.#resource, this.#subjectDoc, this.#inputs, undefined)
  }
}

/**
 * "`approve` on `invoices` needs `resource.amount <= subject.approval_limit`; `INV-7`'s
 * `amount` is 9000 and `paul`'s `approval_limit` is 5000": the condition, then each part
 * that failed (quoted when it is not the whole condition) with the values it read.
 */
function conditionMessage (
  subject: string, action: string, module: string, condition: CompiledCondition, resource: ResourceFacts, subjectDoc: Subject,
  inputs: ConditionInputs, by: string | undefined
): string {
  const who = by === undefined ? '' : ` (${by}, for \`${subject}\`)`
  const head = `\`${action}\` on \`${module}\` needs \`${condition.text}\`${who}`
  const parts = failedParts(condition, subjectDoc, resource, inputs).map(part => {
    const values = listed(part.values.map(v => readPhrase(v, resource.id, subject)))
    if (part.text === undefined) return values
    const failed = `\`${part.text}\` ${part.holds ? 'holds' : 'fails'}`
    return values === '' ? failed : `${failed}: ${values}`
  }).filter(p => p !== '')
  return parts.length === 0 ? head : `${head}; ${parts.join('; ')}`
}

/** One value a failing part read, with its owner: "`INV-7`'s `amount` is 9000", "`INV-7` has no `amount`". */
function readPhrase ({ operand, value }: ReadValue, resourceId: string, subjectId: string): string {
  const resource = `\`${resourceId}\``
  const subject = `\`${subjectId}\``
  const empty = value === undefined || (Array.isArray(value) && value.length === 0)
  switch (operand.src) {
    case 'resource_attribute': return value === undefined ? `${resource} has no \`${operand.name}\`` : `${resource}'s \`${operand.name}\` is ${shown(value)}`
    // Relations are never missing: a relation the resource does not give is empty.
    case 'resource_relation': return empty ? `${resource} has no \`${operand.name}\`` : `${resource}'s \`${operand.name}\` is ${shown(value)}`
    case 'resource_id': return `the resource is ${resource}`
    case 'subject_attribute': return value === undefined ? `${subject} has no \`${operand.name}\`` : `${subject}'s \`${operand.name}\` is ${shown(value)}`
    case 'subject_id': return `the subject is ${subject}`
    case 'subject_roles': return empty ? `${subject} has no tenant-wide role` : `${subject}'s roles are ${shown(value)}`
    case 'action': {
      const name = `\`${operand.path.join('.')}\``
      return value === undefined ? `the request has no action property ${name}` : `the action's ${name} is ${shown(value)}`
    }
    default: {
      const name = `\`${operand.path.join('.')}\``
      return value === undefined ? `the request has no context ${name}` : `the context's ${name} is ${shown(value)}`
    }
  }
}

/** A value as a sentence shows it: strings quoted, numbers and booleans bare, lists bracketed. */
function shown (value: unknown): string {
  switch (typeof value) {
    case 'string': return `\`${value}\``
    case 'number':
    case 'boolean': return String(value)
  }
  if (Array.isArray(value)) return value.length === 0 ? 'empty' : `[${value.map(shown).join(', ')}]`
  return `\`${JSON.stringify(value)}\``
}

/** "a", "a and b", "a, b and c". */
function listed (items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) as string}`
}

/** Step 6: no grant granted; `candidate` failed with the most specific `failure`. */
export class GrantFailureReason extends LazyReason {
  readonly #subject: string
  readonly #ctx: DecisionContext
  readonly #index: number
  readonly #candidate: CandidateGrant
  readonly #resource: ResourceFacts
  readonly #subjectDoc: Subject
  readonly #inputs: ConditionInputs
  constructor (
    failure: GrantFailure, subject: string, ctx: DecisionContext, index: number, candidate: CandidateGrant,
    resource: ResourceFacts, subjectDoc: Subject, inputs: ConditionInputs
  ) {
    super(failure)
    this.#subject = subject
    this.#ctx = ctx
    this.#index = index
    this.#candidate = candidate
    this.#resource = resource
    this.#subjectDoc = subjectDoc
    this.#inputs = inputs
  }

  protected sentence (): string {
    const candidate = this.#candidate
    const by = candidate.original === undefined ? 'the per-user override' : `role \`${candidate.grant.role}\``
    if (this.code !== 'condition_failed') return failureMessage(this.code as GrantFailure, this.#subject, this.#ctx, this.#index, candidate.grant, by)
    // The grant that stood: the override's own grant (its `when` failed) or the (override-changed or plain) role grant (its `when` failed).
    const ctx = this.#ctx
    const grant = effectiveGrant(candidate, ctx, this.#index, this.#resource, this.#subjectDoc, this.#inputs)
    const [condition, whose] = grant === undefined
      ? [overrideCondition(ctx, this.#index) as CompiledCondition, 'the per-user override']
      : [grantCondition(grant, this.#index) as CompiledCondition, by]
    return conditionMessage(this.#subject, ctx.module.actions[this.#index] as string, ctx.module.name, condition, this.#resource, this.#subjectDoc, this.#inputs, whose)
  }
}

/** Why a grant failed, in one sentence naming the subject, the action, the module and the grant's role. */
function failureMessage (failure: GrantFailure, subjectId: string, ctx: DecisionContext, index: number, grant: CompiledGrant, by: string): string {
  const { module, flags, policy } = ctx
  const action = module.actions[index] as string
  switch (failure) {
    case 'not_in_scope':
      return `\`${subjectId}\` is not in scope of any grant of \`${action}\` on \`${module.name}\` (${by} reaches ${describeScope(grant.scopes[index] as CompiledScope)})`
    case 'flag_missing': {
      const missing = listOf(module.actionFlagNames[index]).filter(f => !hasBit(flags, policy.flagIndex.get(f) as number))
      return `\`${action}\` on \`${module.name}\` needs flag ${missing.map(f => `\`${f}\``).join(', ')}, which \`${subjectId}\` does not hold (${by})`
    }
    case 'level_insufficient': {
      const has = grant.rank === undefined ? 'no level' : `level \`${LEVELS[grant.rank]}\``
      return `\`${action}\` on \`${module.name}\` needs level \`${LEVELS[module.actionRank[index] as Rank]}\`; ${by} gives \`${subjectId}\` ${has}`
    }
    default:
      return `${by} denies \`${action}\` on \`${module.name}\` to \`${subjectId}\``
  }
}
