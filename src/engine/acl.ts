/**
 * Resource ACLs (ADR 0001, "ACLs"): the ACL that applies to a resource, and what it
 * lets a subject do there.
 */
import type { AclEntry, ResourceFacts } from './model.js'
import { listOf } from './own.js'
import type { DecisionContext } from './context.js'

/** The ACL that applies and the resource that holds it (the resource itself or an ancestor). */
export interface ApplicableAcl {
  entries: readonly AclEntry[]
  holder: ResourceFacts
}

/** The resource's own `acl` if it has one (even empty), else the nearest ancestor's; `undefined` when none has one. */
export function findAcl (resource: ResourceFacts, ancestors: readonly ResourceFacts[]): ApplicableAcl | undefined {
  for (const holder of [resource, ...ancestors]) {
    if (holder.acl !== undefined) return { entries: listOf(holder.acl), holder }
  }
  return undefined
}

/**
 * Whether an entry's `who` names the subject: its id or an alias, `group:<g>` for one of
 * its groups, `role:<r>` for a defined role that applies, or `*`.
 */
export function aclMatches (ctx: DecisionContext, who: string): boolean {
  if (who === '*' || ctx.names.has(who)) return true
  return who.startsWith('role:') && ctx.roles.some(r => `role:${r.name}` === who)
}

/** The verdict of an ACL on one action. */
export type AclVerdict =
  | { allowed: true, by: AclEntry }
  | { allowed: false, why: 'no_match' | 'not_allowed' }
  | { allowed: false, why: 'denied', by: AclEntry }

/** Allowed actions are the union of matching entries' `allow` minus the union of their `deny`; no matching entry allows nothing. */
export function aclVerdict (ctx: DecisionContext, acl: ApplicableAcl, action: string): AclVerdict {
  const matching = acl.entries.filter(e => typeof e?.who === 'string' && aclMatches(ctx, e.who))
  if (matching.length === 0) return { allowed: false, why: 'no_match' }
  const denier = matching.find(e => listOf(e.deny).includes(action))
  if (denier !== undefined) return { allowed: false, why: 'denied', by: denier }
  const allower = matching.find(e => listOf(e.allow).includes(action))
  return allower === undefined ? { allowed: false, why: 'not_allowed' } : { allowed: true, by: allower }
}
