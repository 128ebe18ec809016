/**
 * The decision function: DESIGN.md §1 "Decision order", exactly as
 * docs/decisions/0001-decision-semantics.md specifies it. Pure, synchronous and total:
 * on a compiled policy it never throws, whatever the request holds.
 *
 * The hot path allocates nothing but the decision and its reason: what depends only on
 * the subject comes from its `CompiledSubject` (contexts per project and module), field
 * lists are shared frozen ones, and reason messages are built only when read.
 */
import { aclAllower, aclAnyMatches, aclDenier, aclHolder } from './acl.js'
import type { CompiledSubject } from './compiled-subject.js'
import { refusalOf, subjectFor } from './compiled-subject.js'
import type { CandidateGrant, DecisionContext } from './context.js'
import { effectiveProject, MAX_MASKED_GRANTS } from './context.js'
import { grantFields } from './fields.js'
import { holds } from './condition-eval.js'
import type { GrantFailureRank, GrantStanding } from './grant.js'
import { candidateStanding, effectiveGrant, GRANTS, grantStanding, NO_INPUTS } from './grant.js'
import type { ConditionInputs, DecisionRequest, FieldAccess, ResourceFacts, Subject } from './model.js'
import { listOf } from './own.js'
import type { CompiledGrant, CompiledPolicy } from './policy.js'
import {
  AclReason, ActionConditionReason, ActionReason, GRANT_FAILURES, GrantFailureReason, ModuleUnknownReason, RoleReason,
  SubjectRefusedReason, SubjectUnknownReason
} from './reason-text.js'
import type { Decision, Reason } from './reasons.js'

const allow = (reason: Reason, fields: FieldAccess | undefined): Decision =>
  fields === undefined ? { allowed: true, reason } : { allowed: true, reason, fields }
const deny = (reason: Reason): Decision => ({ allowed: false, reason })

/**
 * Decides whether the request's subject may do its action on its resource.
 * An allowed decision on a module that declares fields carries `fields` (frozen lists,
 * possibly shared with other decisions). The reason's message is built when first read.
 */
export function decide (policy: CompiledPolicy, request: DecisionRequest): Decision {
  const { subject, action, resource } = request
  if (subject === undefined) return deny(new SubjectUnknownReason(request.subjectId))
  const cs = subjectFor(policy, subject)
  if (cs.refusal !== undefined) return deny(new SubjectRefusedReason(cs.refusal, cs.id))
  const module = policy.modules.get(resource.module)
  if (module === undefined) return deny(new ModuleUnknownReason(resource.module))
  const index = module.actionIndex.get(action)
  if (index === undefined) return deny(new ActionReason('action_unknown', cs.id, action, module.name))
  // Step 1, last: the action's `when`, for everyone.
  if (module.hasActionWhen) {
    const when = module.actionWhen[index]
    if (when !== undefined && !holds(when, cs.subject, resource, request)) return deny(new ActionConditionReason(cs.id, action, module.name, when, resource, cs.subject, request))
  }
  // Step 2: the owner may do everything.
  if (cs.owner) return allow(new ActionReason('owner', cs.id, action, module.name), module.allFields)
  const ancestors = listOf(request.ancestors)
  return decideAction(cs, cs.context(module, effectiveProject(resource, ancestors)), resource, ancestors, index, true, request)
}

/**
 * The actions of the resource's module that the subject may do, in declaration order:
 * exactly those for which `decide` allows (with the same request `inputs`). Empty for an
 * unknown, inactive or `login: false` subject and for an unknown module.
 */
export function allowedActions (
  policy: CompiledPolicy, subject: Subject | CompiledSubject | undefined, resource: ResourceFacts, ancestors?: readonly ResourceFacts[],
  inputs: ConditionInputs = NO_INPUTS
): string[] {
  if (subject === undefined) return []
  const cs = subjectFor(policy, subject)
  if (cs.refusal !== undefined) return []
  const module = policy.modules.get(resource.module)
  if (module === undefined) return []
  const passes = (i: number): boolean => {
    const when = module.actionWhen[i]
    return when === undefined || holds(when, cs.subject, resource, inputs)
  }
  if (cs.owner) return module.actions.filter((_, i) => passes(i))
  const list = listOf(ancestors)
  const ctx = cs.context(module, effectiveProject(resource, list))
  return module.actions.filter((_, i) => passes(i) && decideAction(cs, ctx, resource, list, i, false, inputs).allowed)
}

/** Step 1 for a known subject: inactive or `login: false` subjects are refused; an unexpected status or login value refuses too. */
export function refuseSubject (subject: Subject): Decision | undefined {
  const refusal = refusalOf(subject)
  return refusal === undefined ? undefined : deny(new SubjectRefusedReason(refusal, subject.id))
}

/** Steps 3 to 6 for one action (by index) in a context. */
function decideAction (
  cs: CompiledSubject, ctx: DecisionContext, resource: ResourceFacts, ancestors: readonly ResourceFacts[], index: number, withFields: boolean,
  inputs: ConditionInputs
): Decision {
  const module = ctx.module
  // Step 3: a per-user override that denies the action.
  if (ctx.overrideDenied(index)) {
    return deny(new ActionReason('override_deny', cs.id, module.actions[index] as string, module.name))
  }
  // Steps 4 and 5: `all` roles and module admins ignore the ACL and grant everything.
  const superRole = ctx.superRole
  if (superRole !== undefined) {
    return allow(new RoleReason(superRole.code, superRole.role, cs.id, module.actions[index] as string, module.name), withFields ? module.allFields : undefined)
  }
  const holder = aclHolder(resource, ancestors)
  if (holder !== undefined) return decideByAcl(cs, ctx, holder, resource, index, withFields, inputs)
  return decideByGrants(cs, ctx, resource, index, withFields, inputs)
}

/** Step 4: the ACL replaces roles, levels, flags and scopes for this resource. */
function decideByAcl (
  cs: CompiledSubject, ctx: DecisionContext, holder: ResourceFacts, resource: ResourceFacts, index: number, withFields: boolean,
  inputs: ConditionInputs
): Decision {
  const { module } = ctx
  const action = module.actions[index] as string
  const entries = listOf(holder.acl)
  const inherited = holder !== resource
  const denier = aclDenier(cs.names, ctx.roleRefs, entries, action, cs.subject, inputs, module.conditions)
  if (denier !== undefined) {
    return deny(new AclReason('denied', denier.who, holder.id, resource.id, inherited, cs.id, action, module.name))
  }
  const allower = aclAllower(cs.names, ctx.roleRefs, entries, action, cs.subject, inputs, module.conditions)
  if (allower !== undefined) {
    const fields = withFields && module.allFields !== undefined ? ctx.aclFields() : undefined
    return allow(new AclReason('allowed', allower.who, holder.id, resource.id, inherited, cs.id, action, module.name), fields)
  }
  const outcome = aclAnyMatches(cs.names, ctx.roleRefs, entries, cs.subject, inputs, module.conditions) ? 'not_allowed' : 'no_match'
  return deny(new AclReason(outcome, '', holder.id, resource.id, inherited, cs.id, action, module.name))
}

/** Step 5 (any granting grant allows) and step 6 (deny with the most specific reason). */
function decideByGrants (cs: CompiledSubject, ctx: DecisionContext, resource: ResourceFacts, index: number, withFields: boolean, inputs: ConditionInputs): Decision {
  const { grants, module } = ctx
  const names = cs.names
  const action = module.actions[index] as string
  // Granting grants as a bitmask over `grants` (exact while there are at most MAX_MASKED_GRANTS).
  let granting = 0
  let first = -1
  let worst: GrantStanding = GRANTS
  let worstAt = -1
  for (let g = 0; g < grants.length; g++) {
    const failure = candidateStanding(grants[g] as CandidateGrant, ctx, index, resource, names, cs.subject, inputs)
    if (failure === GRANTS) {
      if (first < 0) first = g
      if (g < MAX_MASKED_GRANTS) granting |= 1 << g
    } else if (failure > worst) {
      worst = failure
      worstAt = g
    }
  }
  if (first >= 0) {
    const fields = withFields && module.allFields !== undefined ? grantedFields(cs, ctx, resource, index, granting, inputs) : undefined
    // A role grant that grants without the override's help is a plain role grant.
    const plain = ctx.override === undefined ? first : plainGrant(cs, ctx, resource, index, first, inputs)
    if (plain >= 0) return allow(new RoleReason('role_grant', (grants[plain] as CandidateGrant).grant.role, cs.id, action, module.name), fields)
    const over = grants[first] as CandidateGrant
    return allow(new RoleReason('override_grant', over.original === undefined ? '' : over.grant.role, cs.id, action, module.name), fields)
  }
  if (worstAt < 0) {
    // Step 6 with nothing tried: no role that applies has a grant on the module, and there is no override.
    return deny(new ActionReason('no_grant', cs.id, action, module.name))
  }
  return deny(new GrantFailureReason(GRANT_FAILURES[worst as GrantFailureRank], cs.id, ctx, index, grants[worstAt] as CandidateGrant, resource, cs.subject, inputs))
}

/** The first granting role grant (from `first` on) that also grants without the override, or -1. */
function plainGrant (cs: CompiledSubject, ctx: DecisionContext, resource: ResourceFacts, index: number, first: number, inputs: ConditionInputs): number {
  for (let g = first; g < ctx.grants.length; g++) {
    const candidate = ctx.grants[g] as CandidateGrant
    const original = candidate.original
    if (original === undefined) continue
    if (candidateStanding(candidate, ctx, index, resource, cs.names, cs.subject, inputs) === GRANTS &&
      grantStanding(original, ctx.module, index, ctx.flags, resource, cs.names, cs.subject, inputs) === GRANTS) return g
  }
  return -1
}

/** The fields under the granting grants: remembered by the context per granting set, when that fits a mask. */
function grantedFields (cs: CompiledSubject, ctx: DecisionContext, resource: ResourceFacts, index: number, granting: number, inputs: ConditionInputs): FieldAccess {
  // An override's `when` may put the role grant in the override's place: the fields are then the role grant's.
  if (ctx.grants.length <= MAX_MASKED_GRANTS && ctx.overrideWhen === undefined) return ctx.fieldsOfGranting(granting)
  const grants: CompiledGrant[] = []
  for (const candidate of ctx.grants) {
    if (candidateStanding(candidate, ctx, index, resource, cs.names, cs.subject, inputs) === GRANTS) {
      grants.push(effectiveGrant(candidate, ctx, index, resource, cs.subject, inputs) as CompiledGrant)
    }
  }
  return grantFields(ctx.module, grants, ctx.flags)
}
