/**
 * The decision function: DESIGN.md §1 "Decision order", exactly as
 * docs/decisions/0001-decision-semantics.md specifies it. Pure, synchronous and total:
 * on a compiled policy it never throws, whatever the request holds.
 */
import type { ApplicableAcl } from './acl.js'
import { aclVerdict, findAcl } from './acl.js'
import { assertNever } from './assert.js'
import type { Bits } from './bits.js'
import { covers, hasBit } from './bits.js'
import type { CandidateGrant, DecisionContext } from './context.js'
import { buildContext } from './context.js'
import { aclFields, allFields, grantFields } from './fields.js'
import type { DecisionRequest, FieldAccess, ResourceFacts, Subject } from './model.js'
import { LEVELS } from './model.js'
import { listOf } from './own.js'
import type { CompiledGrant, CompiledModule, CompiledPolicy, CompiledScope, Rank } from './policy.js'
import type { Decision, ReasonCode } from './reasons.js'
import { describeScope, inScope } from './scope.js'

/**
 * Why one grant did not grant an action, least specific first: a deny reports the most
 * specific one found over all grants (`no_grant` when there was no grant to try).
 */
const FAILURES = ['action_denied', 'level_insufficient', 'flag_missing', 'not_in_scope'] as const
type GrantFailure = typeof FAILURES[number]

const allow = (code: ReasonCode, message: string, fields?: FieldAccess): Decision =>
  fields === undefined ? { allowed: true, reason: { code, message } } : { allowed: true, reason: { code, message }, fields }
const deny = (code: ReasonCode, message: string): Decision => ({ allowed: false, reason: { code, message } })

/**
 * Decides whether the request's subject may do its action on its resource.
 * An allowed decision on a module that declares fields carries `fields`.
 */
export function decide (policy: CompiledPolicy, request: DecisionRequest): Decision {
  const { subject, action, resource } = request
  if (subject === undefined) {
    return deny('subject_unknown', request.subjectId === undefined ? 'unknown subject' : `unknown subject \`${request.subjectId}\``)
  }
  const refused = refuseSubject(subject)
  if (refused !== undefined) return refused
  const module = policy.modules.get(resource.module)
  if (module === undefined) return deny('module_unknown', `unknown module \`${resource.module}\``)
  const index = module.actionIndex.get(action)
  if (index === undefined) return deny('action_unknown', `unknown action \`${action}\` in module \`${module.name}\``)
  // Step 2: the owner may do everything.
  if (subject.owner === true) return ownerDecision(subject, action, module)
  return decideAction(buildContext(policy, subject, module, resource, listOf(request.ancestors)), index, true)
}

/**
 * The actions of the resource's module that the subject may do, in declaration order:
 * exactly those for which `decide` allows. Empty for an unknown, inactive or
 * `login: false` subject and for an unknown module.
 */
export function allowedActions (policy: CompiledPolicy, subject: Subject | undefined, resource: ResourceFacts, ancestors?: readonly ResourceFacts[]): string[] {
  if (subject === undefined || refuseSubject(subject) !== undefined) return []
  const module = policy.modules.get(resource.module)
  if (module === undefined) return []
  if (subject.owner === true) return [...module.actions]
  const ctx = buildContext(policy, subject, module, resource, listOf(ancestors))
  return module.actions.filter((_, i) => decideAction(ctx, i, false).allowed)
}

/** Step 1 for a known subject: inactive or `login: false` subjects are refused; an unexpected status or login value refuses too. */
export function refuseSubject (subject: Subject): Decision | undefined {
  if (subject.status !== undefined && subject.status !== 'active') return deny('subject_inactive', `subject \`${subject.id}\` is inactive`)
  if (subject.login !== undefined && subject.login !== true) return deny('subject_login_disabled', `subject \`${subject.id}\` cannot log in (\`login: false\`)`)
  return undefined
}

function ownerDecision (subject: Subject, action: string, module: CompiledModule): Decision {
  return allow('owner', `\`${subject.id}\` is the account owner and may \`${action}\` on \`${module.name}\``, fieldsOf(module, () => allFields(module)))
}

/** `compute()` when the module declares fields, else `undefined`. */
function fieldsOf (module: CompiledModule, compute: () => FieldAccess): FieldAccess | undefined {
  return module.fields.length === 0 ? undefined : compute()
}

/** Steps 3 to 6 for one action (by index) in a built context. */
function decideAction (ctx: DecisionContext, index: number, withFields: boolean): Decision {
  const { subject, module } = ctx
  const action = module.actions[index] as string
  const who = `\`${subject.id}\``
  // Step 3: a per-user override that denies the action.
  if (listOf(ctx.override?.deny).includes(action)) {
    return deny('override_deny', `a per-user override of ${who} denies \`${action}\` on \`${module.name}\``)
  }
  // Steps 4 and 5: `all` roles and module admins ignore the ACL and grant everything.
  if (ctx.superRole !== undefined) {
    const { code, role } = ctx.superRole
    const message = code === 'role_all'
      ? `role \`${role}\` grants everything (\`all: true\`), so ${who} may \`${action}\` on \`${module.name}\``
      : `role \`${role}\` is admin of \`${module.name}\`, so ${who} may \`${action}\``
    return allow(code, message, withFields ? fieldsOf(module, () => allFields(module)) : undefined)
  }
  const acl = findAcl(ctx.resource, ctx.ancestors)
  if (acl !== undefined) return decideByAcl(ctx, acl, action, withFields)
  return decideByGrants(ctx, index, withFields)
}

/** Step 4: the ACL replaces roles, levels, flags and scopes for this resource. */
function decideByAcl (ctx: DecisionContext, acl: ApplicableAcl, action: string, withFields: boolean): Decision {
  const { subject, module, resource } = ctx
  const where = acl.holder === resource
    ? `the ACL of \`${resource.id}\``
    : `the ACL of \`${acl.holder.id}\` (inherited by \`${resource.id}\`)`
  const verdict = aclVerdict(ctx, acl, action)
  const what = `\`${action}\` on \`${module.name}\` to \`${subject.id}\``
  if (verdict.allowed) {
    const fields = withFields
      ? fieldsOf(module, () => aclFields(module, ctx.grants.filter(g => g.original !== undefined).map(g => g.grant), ctx.flags))
      : undefined
    return allow('acl_allow', `${where} allows ${what} (entry \`${verdict.by.who}\`)`, fields)
  }
  switch (verdict.why) {
    case 'no_match': return deny('acl_deny', `${where} does not allow ${what}: no entry matches`)
    case 'not_allowed': return deny('acl_deny', `${where} does not allow ${what}: no matching entry allows it`)
    case 'denied': return deny('acl_deny', `${where} does not allow ${what}: entry \`${verdict.by.who}\` denies it`)
    default: return assertNever(verdict)
  }
}

/** Why a grant does not grant the action at `index`, or `undefined` when it grants it. */
function grantFailure (ctx: DecisionContext, grant: CompiledGrant, index: number): GrantFailure | undefined {
  if (!hasBit(grant.granted, index)) return hasBit(grant.deny, index) ? 'action_denied' : 'level_insufficient'
  if (!covers(ctx.flags, ctx.module.actionFlags[index] as Bits)) return 'flag_missing'
  if (!inScope(grant.scopes[index] as CompiledScope, ctx.resource.relations, ctx.names)) return 'not_in_scope'
  return undefined
}

/** Step 5 (any granting grant allows) and step 6 (deny with the most specific reason). */
function decideByGrants (ctx: DecisionContext, index: number, withFields: boolean): Decision {
  const granting: CandidateGrant[] = []
  let worst: { failure: GrantFailure, candidate: CandidateGrant } | undefined
  for (const candidate of ctx.grants) {
    const failure = grantFailure(ctx, candidate.grant, index)
    if (failure === undefined) granting.push(candidate)
    else if (worst === undefined || FAILURES.indexOf(failure) > FAILURES.indexOf(worst.failure)) worst = { failure, candidate }
  }
  if (granting.length > 0) return grantedDecision(ctx, index, granting, withFields)
  if (worst === undefined) {
    // Step 6 with nothing tried: no role that applies has a grant on the module, and there is no override.
    return deny('no_grant', `no role of \`${ctx.subject.id}\` grants \`${ctx.module.actions[index]}\` on \`${ctx.module.name}\``)
  }
  return deny(worst.failure, failureMessage(ctx, index, worst.failure, worst.candidate))
}

function grantedDecision (ctx: DecisionContext, index: number, granting: readonly CandidateGrant[], withFields: boolean): Decision {
  const { subject, module } = ctx
  const what = `\`${module.actions[index]}\` on \`${module.name}\` to \`${subject.id}\``
  const fields = withFields ? fieldsOf(module, () => grantFields(module, granting.map(g => g.grant), ctx.flags)) : undefined
  // A role grant that grants without the override's help is a plain role grant.
  const plain = ctx.override === undefined
    ? granting[0]
    : granting.find(g => g.original !== undefined && grantFailure(ctx, g.original, index) === undefined)
  if (plain !== undefined) return allow('role_grant', `role \`${plain.grant.role}\` grants ${what}`, fields)
  const first = granting[0] as CandidateGrant
  const over = first.original === undefined ? '' : ` (on top of role \`${first.grant.role}\`)`
  return allow('override_grant', `a per-user override${over} grants ${what}`, fields)
}

/** Why a grant failed, in one sentence naming the subject, the action, the module and the grant's role. */
const FAILURE_MESSAGES: Record<GrantFailure, (ctx: DecisionContext, index: number, grant: CompiledGrant, by: string) => string> = {
  not_in_scope: ({ subject, module }, index, grant, by) =>
    `\`${subject.id}\` is not in scope of any grant of \`${module.actions[index]}\` on \`${module.name}\` (${by} reaches ${describeScope(grant.scopes[index] as CompiledScope)})`,
  flag_missing: ({ subject, module, flags, policy }, index, _grant, by) => {
    const missing = listOf(module.actionFlagNames[index]).filter(f => !hasBit(flags, policy.flagIndex.get(f) as number))
    return `\`${module.actions[index]}\` on \`${module.name}\` needs flag ${missing.map(f => `\`${f}\``).join(', ')}, which \`${subject.id}\` does not hold (${by})`
  },
  level_insufficient: ({ subject, module }, index, grant, by) => {
    const has = grant.rank === undefined ? 'no level' : `level \`${LEVELS[grant.rank]}\``
    return `\`${module.actions[index]}\` on \`${module.name}\` needs level \`${LEVELS[module.actionRank[index] as Rank]}\`; ${by} gives \`${subject.id}\` ${has}`
  },
  action_denied: ({ subject, module }, index, _grant, by) =>
    `${by} denies \`${module.actions[index]}\` on \`${module.name}\` to \`${subject.id}\``
}

function failureMessage (ctx: DecisionContext, index: number, failure: GrantFailure, candidate: CandidateGrant): string {
  const by = candidate.original === undefined ? 'the per-user override' : `role \`${candidate.grant.role}\``
  return FAILURE_MESSAGES[failure](ctx, index, candidate.grant, by)
}
