/**
 * Resource ACLs (ADR 0001, "ACLs"): the ACL that applies to a resource, and what it
 * lets a subject do there.
 */
import type { ConditionMemo } from './condition.js'
import { holds } from './condition-eval.js'
import type { AclEntry, ConditionInputs, ResourceFacts, Subject } from './model.js'
import { listOf } from './own.js'

/** The ACL that applies and the resource that holds it (the resource itself or an ancestor). */
export interface ApplicableAcl {
  entries: readonly AclEntry[]
  holder: ResourceFacts
}

/**
 * What an ACL reads of the subject: the names it answers to, the `role:<r>` refs of the
 * roles that apply, and for entries with a `when` the subject itself, the request's
 * inputs and the module's conditions (by text).
 */
export interface AclSubject {
  names: ReadonlySet<string>
  roleRefs: ReadonlySet<string>
  subject: Subject
  inputs: ConditionInputs
  conditions: ConditionMemo
}

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

/** The verdict of an ACL on one action. */
export type AclVerdict =
  | { allowed: true, by: AclEntry }
  | { allowed: false, why: 'no_match' | 'not_allowed' }
  | { allowed: false, why: 'denied', by: AclEntry }

/**
 * Allowed actions are the union of matching entries' `allow` minus the union of their
 * `deny`; no matching entry allows nothing. `decide` reads the same three functions
 * without building a verdict.
 */
export function aclVerdict (ctx: AclSubject, acl: ApplicableAcl, action: string): AclVerdict {
  const entries = listOf(acl.entries)
  const { names, roleRefs, subject, inputs, conditions } = ctx
  const denier = aclDenier(names, roleRefs, entries, action, subject, inputs, conditions)
  if (denier !== undefined) return { allowed: false, why: 'denied', by: denier }
  const allower = aclAllower(names, roleRefs, entries, action, subject, inputs, conditions)
  if (allower !== undefined) return { allowed: true, by: allower }
  return { allowed: false, why: aclAnyMatches(names, roleRefs, entries, subject, inputs, conditions) ? 'not_allowed' : 'no_match' }
}
