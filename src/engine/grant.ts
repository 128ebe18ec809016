/**
 * Whether one grant grants one action: DESIGN.md §1, step 5, and
 * docs/decisions/0001-decision-semantics.md ("A grant grants an action"). This is the one
 * place that rule is written; decisions (`decide.ts`), search plans (`plan.ts`) and the
 * role view (`policy-view.ts`) all weigh grants through `grantStanding`, so that a new
 * ingredient of the rule reaches every one of them at once.
 *
 * The grant is a compiled one, a role grant or a per-user override's own grant, with the
 * subject's override already applied (`context.ts`). What is known besides the grant
 * varies: a decision knows the flags held and the resource; a plan knows the flags but
 * not yet the resource; the role view knows neither.
 */
import type { Bits } from './bits.js'
import { covers, hasBit } from './bits.js'
import type { CompiledCondition } from './condition.js'
import { holds } from './condition-eval.js'
import type { CandidateGrant, DecisionContext } from './context.js'
import type { ConditionInputs, ResourceFacts, Subject } from './model.js'
import type { CompiledGrant, CompiledModule, CompiledScope } from './policy.js'
import { inScope } from './scope.js'

/** The grant grants the action (on this resource; on every resource when the resource is not known). */
export const GRANTS = -1
/**
 * Only when the resource is not known: the grant grants the action exactly on the
 * resources in `grantScope` where `grantCondition` (if any) holds.
 */
export const GRANTS_IN_SCOPE = -2
/** The failures: indexes into `GRANT_FAILURES` (reason-text.ts), the more specific the higher. */
export const ACTION_DENIED = 0
export const LEVEL_INSUFFICIENT = 1
export const FLAG_MISSING = 2
export const NOT_IN_SCOPE = 3
export const CONDITION_FAILED = 4

/**
 * How a grant stands for one action: `GRANTS`, `GRANTS_IN_SCOPE` (resource not known) or
 * the failure, a number so that deciding allocates nothing and "the most specific
 * failure" is the largest.
 */
export type GrantStanding =
  | typeof GRANTS | typeof GRANTS_IN_SCOPE
  | typeof ACTION_DENIED | typeof LEVEL_INSUFFICIENT | typeof FLAG_MISSING | typeof NOT_IN_SCOPE | typeof CONDITION_FAILED

/** A standing that is a failure: an index into `GRANT_FAILURES`. */
export type GrantFailureRank = Exclude<GrantStanding, typeof GRANTS | typeof GRANTS_IN_SCOPE>

/** What a scope reaches every resource with: `admin` grants ignore scopes. */
const EVERY_RESOURCE: CompiledScope = Object.freeze({ kind: 'all', access: 'all' })

/**
 * Whether `grant` (on `module`) grants the action at `index`, and if not, why:
 * - `admin`: every action, whatever levels, flags and scopes say;
 * - an action in `deny` is not granted (`ACTION_DENIED`), nor one neither in `allow` nor
 *   within the grant's level (`LEVEL_INSUFFICIENT`);
 * - every flag the action needs must be in `flags` (`FLAG_MISSING`); `flags` undefined:
 *   not known, not checked (the role view lists the flags instead);
 * - the resource must be in the action's scope (`NOT_IN_SCOPE`) for the subject known by
 *   `names`, and the grant's `when` for the action must hold there for `subject` and the
 *   request's `inputs` (`CONDITION_FAILED`); `resource` undefined: the resource is not
 *   known yet, and a grant that passes the rest stands as `GRANTS_IN_SCOPE` (its scope
 *   is `grantScope`, its condition `grantCondition`).
 *
 * Allocation-free: decisions call it in their hot loop.
 */
export function grantStanding (
  grant: CompiledGrant, module: CompiledModule, index: number, flags: Bits | undefined,
  resource: ResourceFacts | undefined, names: ReadonlySet<string>, subject?: Subject, inputs?: ConditionInputs
): GrantStanding {
  if (grant.admin) return GRANTS
  if (!hasBit(grant.granted, index)) return hasBit(grant.deny, index) ? ACTION_DENIED : LEVEL_INSUFFICIENT
  if (flags !== undefined && !covers(flags, module.actionFlags[index] as Bits)) return FLAG_MISSING
  if (resource === undefined) return GRANTS_IN_SCOPE
  if (!inScope(grant.scopes[index] as CompiledScope, resource.relations, names)) return NOT_IN_SCOPE
  const when = grant.when?.[index]
  // INVARIANT: callers that pass a resource pass the subject and the request's inputs too.
  return when === undefined || holds(when, subject as Subject, resource, inputs as ConditionInputs) ? GRANTS : CONDITION_FAILED
}

/** A request without action properties, context or subject attributes. */
export const NO_INPUTS: ConditionInputs = Object.freeze({})

/**
 * How a candidate grant of a decision context stands (see `grantStanding`): a per-user
 * override with a `when` for the action changes the role grant only where that
 * condition holds; elsewhere the role grant stands as the bundle wrote it, and the
 * override's own grant (no role grant on the module) grants nothing (`CONDITION_FAILED`).
 * The resource must be known.
 */
export function candidateStanding (
  candidate: CandidateGrant, ctx: DecisionContext, index: number, resource: ResourceFacts, names: ReadonlySet<string>,
  subject: Subject, inputs: ConditionInputs
): GrantStanding {
  const grant = effectiveGrant(candidate, ctx, index, resource, subject, inputs)
  return grant === undefined ? CONDITION_FAILED : grantStanding(grant, ctx.module, index, ctx.flags, resource, names, subject, inputs)
}

/** The grant that stands for the candidate on this resource: `undefined` when the override's own grant's condition fails. */
export function effectiveGrant (
  candidate: CandidateGrant, ctx: DecisionContext, index: number, resource: ResourceFacts, subject: Subject, inputs: ConditionInputs
): CompiledGrant | undefined {
  const when = overrideCondition(ctx, index)
  if (when === undefined || holds(when, subject, resource, inputs)) return candidate.grant
  return candidate.original
}

/** The override's `when` for the action at `index`, if any. */
export function overrideCondition (ctx: DecisionContext, index: number): CompiledCondition | undefined {
  return ctx.overrideWhen === undefined ? undefined : ctx.overrideWhen[index]
}

/** The grant's `when` for the action at `index`, if any: with `grantScope`, what a `GRANTS_IN_SCOPE` grant reaches. */
export function grantCondition (grant: CompiledGrant, index: number): CompiledCondition | undefined {
  return grant.when?.[index]
}

/**
 * One way the grants of a context reach resources for an action, the resource not known:
 * the resources in `scope` where the grant's `when` holds and, with an override `when`
 * for the action, where that condition holds (`holds: true`: the grant as the override
 * changed it, or the override's own grant) or does not (`holds: false`: the role grant
 * as the bundle wrote it).
 */
export interface GrantWay {
  override: { condition: CompiledCondition, holds: boolean } | undefined
  scope: CompiledScope
  when: CompiledCondition | undefined
}

/** Names are only read where the resource is known. */
const NO_NAMES: ReadonlySet<string> = new Set()

/**
 * Step 5 for one action with the resource left open: every way the context's candidate
 * grants grant it, in candidate order, each weighed by `grantStanding` as
 * `candidateStanding` weighs it (failures give no way). `plain`: the role grants as the
 * bundle wrote them, without what the override changes or grants (its flags still
 * count, as decisions count them when they tell a role grant from an override grant).
 * Plans (`plan.ts`) and the subject view (`access.ts`) read grants through this.
 */
export function grantWays (ctx: DecisionContext, index: number, plain = false): GrantWay[] {
  const ways: GrantWay[] = []
  const add = (grant: CompiledGrant, override: GrantWay['override']): void => {
    const standing = grantStanding(grant, ctx.module, index, ctx.flags, undefined, NO_NAMES)
    if (standing === GRANTS || standing === GRANTS_IN_SCOPE) {
      ways.push({ override, scope: grantScope(grant, index), when: standing === GRANTS ? undefined : grantCondition(grant, index) })
    }
  }
  const overrideWhen = overrideCondition(ctx, index)
  for (const { grant, original } of ctx.grants) {
    if (plain) {
      if (original !== undefined) add(original, undefined)
    } else if (overrideWhen === undefined) {
      add(grant, undefined)
    } else {
      add(grant, { condition: overrideWhen, holds: true })
      if (original !== undefined) add(original, { condition: overrideWhen, holds: false })
    }
  }
  return ways
}

/** The resources `grant` reaches for the action at `index`: its per-action scope, else its access; every resource under `admin`. */
export function grantScope (grant: CompiledGrant, index: number): CompiledScope {
  return grant.admin ? EVERY_RESOURCE : grant.scopes[index] as CompiledScope
}
