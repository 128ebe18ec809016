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
import type { CompiledGrant, CompiledModule, CompiledScope } from './policy.js'
import { inScope } from './scope.js'

/** The grant grants the action (on this resource; on every resource when the resource is not known). */
export const GRANTS = -1
/** Only when the resource is not known: the grant grants the action exactly on the resources in `grantScope`. */
export const GRANTS_IN_SCOPE = -2
/** The failures: indexes into `GRANT_FAILURES` (reason-text.ts), the more specific the higher. */
export const ACTION_DENIED = 0
export const LEVEL_INSUFFICIENT = 1
export const FLAG_MISSING = 2
export const NOT_IN_SCOPE = 3

/**
 * How a grant stands for one action: `GRANTS`, `GRANTS_IN_SCOPE` (resource not known) or
 * the failure, a number so that deciding allocates nothing and "the most specific
 * failure" is the largest.
 */
export type GrantStanding =
  | typeof GRANTS | typeof GRANTS_IN_SCOPE
  | typeof ACTION_DENIED | typeof LEVEL_INSUFFICIENT | typeof FLAG_MISSING | typeof NOT_IN_SCOPE

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
 *   `names`; `relations` undefined: the resource is not known yet, and a grant that
 *   passes the rest stands as `GRANTS_IN_SCOPE` (its scope is `grantScope`).
 *
 * Allocation-free: decisions call it in their hot loop.
 */
export function grantStanding (
  grant: CompiledGrant, module: CompiledModule, index: number, flags: Bits | undefined,
  relations: Readonly<Record<string, readonly string[]>> | undefined, names: ReadonlySet<string>
): GrantStanding {
  if (grant.admin) return GRANTS
  if (!hasBit(grant.granted, index)) return hasBit(grant.deny, index) ? ACTION_DENIED : LEVEL_INSUFFICIENT
  if (flags !== undefined && !covers(flags, module.actionFlags[index] as Bits)) return FLAG_MISSING
  if (relations === undefined) return GRANTS_IN_SCOPE
  return inScope(grant.scopes[index] as CompiledScope, relations, names) ? GRANTS : NOT_IN_SCOPE
}

/** The resources `grant` reaches for the action at `index`: its per-action scope, else its access; every resource under `admin`. */
export function grantScope (grant: CompiledGrant, index: number): CompiledScope {
  return grant.admin ? EVERY_RESOURCE : grant.scopes[index] as CompiledScope
}
