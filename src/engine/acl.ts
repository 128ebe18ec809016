/**
 * Resource ACLs (ADR 0001, "ACLs"): the ACL that applies to a resource, and what it
 * lets a subject do there.
 */
import type { ConditionMemo } from './condition.js'
import { holds } from './condition-eval.js'
import type { AclEntry, ConditionInputs, ResourceFacts, Subject } from './model.js'
import { listOf } from './own.js'

/** The resource whose ACL applies: itself if it has an `acl` (even empty), else the nearest ancestor with one; `undefined` when none has one. */
export function aclHolder (resource: ResourceFacts, ancestors: readonly ResourceFacts[]): ResourceFacts | undefined {
  if (resource.acl !== undefined) return resource
  for (const holder of ancestors) if (holder.acl !== undefined) return holder
  return undefined
}

/**
 * Whether an entry's `who` names the subject: its id or an alias, `group:<g>` for one of
 * its groups, `role:<r>` for a defined role that applies, or `*`.
 */
export function aclMatches (names: ReadonlySet<string>, roleRefs: ReadonlySet<string>, who: string): boolean {
  return who === '*' || names.has(who) || roleRefs.has(who)
}

/**
 * Whether entry `e` applies: its `who` names the subject and its `when`, if any, holds
 * for the subject and the request (an entry's condition never reads the resource; one
 * that is not a string never holds).
 */
function entryApplies (
  e: AclEntry, names: ReadonlySet<string>, roleRefs: ReadonlySet<string>, subject: Subject, inputs: ConditionInputs, conditions: ConditionMemo
): boolean {
  if (typeof e?.who !== 'string' || !aclMatches(names, roleRefs, e.who)) return false
  const when: unknown = e.when
  if (when === undefined) return true
  return typeof when === 'string' && holds(conditions.withoutResource(when), subject, undefined, inputs)
}

/** The first applying entry whose `deny` lists the action. */
export function aclDenier (
  names: ReadonlySet<string>, roleRefs: ReadonlySet<string>, entries: readonly AclEntry[], action: string,
  subject: Subject, inputs: ConditionInputs, conditions: ConditionMemo
): AclEntry | undefined {
  for (const e of entries) {
    if (entryApplies(e, names, roleRefs, subject, inputs, conditions) && listOf(e.deny).includes(action)) return e
  }
  return undefined
}

/** The first applying entry whose `allow` lists the action. */
export function aclAllower (
  names: ReadonlySet<string>, roleRefs: ReadonlySet<string>, entries: readonly AclEntry[], action: string,
  subject: Subject, inputs: ConditionInputs, conditions: ConditionMemo
): AclEntry | undefined {
  for (const e of entries) {
    if (entryApplies(e, names, roleRefs, subject, inputs, conditions) && listOf(e.allow).includes(action)) return e
  }
  return undefined
}

/** Whether any entry applies. */
export function aclAnyMatches (
  names: ReadonlySet<string>, roleRefs: ReadonlySet<string>, entries: readonly AclEntry[],
  subject: Subject, inputs: ConditionInputs, conditions: ConditionMemo
): boolean {
  for (const e of entries) if (entryApplies(e, names, roleRefs, subject, inputs, conditions)) return true
  return false
}
