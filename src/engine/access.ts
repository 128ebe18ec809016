/**
 * What a subject may do for one action on a module's resources, the resource not known:
 * DESIGN.md §1 read for reports that show a subject's permissions (the policy diff), with
 * conditions kept as their CEL texts instead of evaluated, since they read what no report
 * knows (the resource's values, the request's properties and context). Grants are read
 * through `grantWays`, as search plans read them, so that this view and decisions cannot
 * drift apart. Resource ACLs are data, not policy: they are not read. Pure.
 */
import type { CompiledSubject } from './compiled-subject.js'
import { subjectFor } from './compiled-subject.js'
import { grantWays } from './grant.js'
import type { Subject } from './model.js'
import type { CompiledPolicy, CompiledScope } from './policy.js'

/** The resources of a way: all of them, or those where the subject (or one of its groups) appears in one of `relations` (sorted). */
export type AccessScope = { kind: 'all' } | { kind: 'relations', relations: string[] }

/**
 * One way the subject reaches resources: those in `scope` where every condition of
 * `when` holds. `when` holds CEL texts as the bundle or the override wrote them (the
 * action's `when` first), `!(<text>)` for an override condition that must not hold.
 */
export interface AccessWay {
  scope: AccessScope
  when: string[]
}

/** Whether the subject may do the action anywhere, and where: the union of `ways` (never empty when allowed). */
export type ActionAccess = { allowed: false } | { allowed: true, ways: AccessWay[] }

const NOT_ALLOWED: ActionAccess = Object.freeze({ allowed: false })
const EVERYWHERE: AccessScope = Object.freeze({ kind: 'all' })

/**
 * Where `subject` may do `action` on resources of `module` in `project` (`undefined`: in
 * no project, where only its tenant-wide roles apply). Not allowed for an unknown,
 * inactive or `login: false` subject, an unknown module or action, and an action a
 * per-user override denies. `plain`: without what the subject's override changes or
 * grants on the module (its flags and its `deny` still count), so that a caller can tell
 * what only the override gives.
 */
export function actionAccess (
  policy: CompiledPolicy, subject: Subject | CompiledSubject, module: string, project: string | undefined, action: string,
  { plain = false }: { plain?: boolean } = {}
): ActionAccess {
  const cs = subjectFor(policy, subject)
  const mod = policy.modules.get(module)
  const index = mod?.actionIndex.get(action)
  if (cs.refusal !== undefined || mod === undefined || index === undefined) return NOT_ALLOWED
  const actionWhen = mod.actionWhen[index]
  const first = actionWhen === undefined ? [] : [actionWhen.text]
  if (cs.owner) return { allowed: true, ways: [{ scope: EVERYWHERE, when: first }] }
  const ctx = cs.context(mod, project)
  if (ctx.overrideDenied(index)) return NOT_ALLOWED
  if (ctx.superRole !== undefined) return { allowed: true, ways: [{ scope: EVERYWHERE, when: first }] }
  const ways: AccessWay[] = []
  for (const way of grantWays(ctx, index, plain)) {
    const scope = accessScope(way.scope)
    if (scope === undefined) continue
    const when = [...first]
    if (way.override !== undefined) when.push(way.override.holds ? way.override.condition.text : `!(${way.override.condition.text})`)
    if (way.when !== undefined) when.push(way.when.text)
    ways.push({ scope, when: [...new Set(when)] })
  }
  return ways.length === 0 ? NOT_ALLOWED : { allowed: true, ways }
}

/** A compiled scope as a way's scope; `undefined` for one that reaches nothing. */
function accessScope (scope: CompiledScope): AccessScope | undefined {
  if (scope.kind === 'all') return EVERYWHERE
  if (scope.kind === 'none' || scope.relations.length === 0) return undefined
  return { kind: 'relations', relations: [...new Set(scope.relations)].sort() }
}

/**
 * An action's access as one reach: whether it is allowed, the union of its ways' scopes,
 * and the condition (CEL) that singles out, within that union, the resources some way
 * reaches (absent when every resource of the union is reached whatever the conditions).
 */
export type ActionReach = { allowed: false } | { allowed: true, scope: AccessScope, when?: string }

const UNREACHED: ActionReach = Object.freeze({ allowed: false })

/**
 * The ways of an access as one reach. Conditions every way shares are and-ed in front;
 * a way whose scope is not the whole union names its relations as `subject.id in
 * resource.<relation>`; ways are or-ed in text order, so that the same access always
 * reads the same.
 */
export function reachOf (access: ActionAccess): ActionReach {
  if (!access.allowed) return UNREACHED
  const ways = access.ways
  const common = (ways[0] as AccessWay).when.filter(c => ways.every(w => w.when.includes(c)))
  const rests = ways.map(w => ({ scope: w.scope, when: w.when.filter(c => !common.includes(c)) }))
  // The resources reached whatever the conditions say (besides the shared ones).
  const plain = union(rests.filter(w => w.when.length === 0).map(w => w.scope))
  const conditional = rests.filter(w => w.when.length > 0 && !covers(plain, w.scope))
  const scope = union([...(plain === undefined ? [] : [plain]), ...conditional.map(w => w.scope)]) as AccessScope
  const alternatives = conditional.map(w => and([...(sameScope(w.scope, scope) ? [] : [membership(w.scope)]), ...w.when]))
  if (plain !== undefined && alternatives.length > 0) alternatives.push(membership(plain))
  const when = and([...common, ...(alternatives.length === 0 ? [] : [or([...new Set(alternatives)].sort())])])
  return when === '' ? { allowed: true, scope } : { allowed: true, scope, when }
}

/** Whether two reaches allow the same resources under the same condition. */
export function sameReach (a: ActionReach, b: ActionReach): boolean {
  if (!a.allowed || !b.allowed) return a.allowed === b.allowed
  return a.when === b.when && sameScope(a.scope, b.scope)
}

/** Whether `outer` is allowed on every resource of `inner`'s scope (conditions aside). */
export function reachCovers (outer: ActionReach, inner: ActionReach): boolean {
  return outer.allowed && inner.allowed && covers(outer.scope, inner.scope)
}

/** The union of scopes; `undefined` for none. */
function union (scopes: readonly AccessScope[]): AccessScope | undefined {
  if (scopes.length === 0) return undefined
  if (scopes.some(s => s.kind === 'all')) return EVERYWHERE
  // INVARIANT: every scope left names relations (a scope is `all` or relations).
  return { kind: 'relations', relations: [...new Set(scopes.flatMap(s => (s as AccessScope & { kind: 'relations' }).relations))].sort() }
}

/** Whether `outer` holds every resource of `inner`. */
function covers (outer: AccessScope | undefined, inner: AccessScope): boolean {
  if (outer === undefined) return false
  if (outer.kind === 'all') return true
  return inner.kind === 'relations' && inner.relations.every(r => outer.relations.includes(r))
}

function sameScope (a: AccessScope, b: AccessScope): boolean {
  return covers(a, b) && covers(b, a)
}

/**
 * A scope as a condition. INVARIANT: only asked of a scope smaller than the union, so
 * never of every resource (a way on every resource is the whole union).
 */
function membership (scope: AccessScope): string {
  return or((scope as AccessScope & { kind: 'relations' }).relations.map(r => `subject.id in resource.${r}`))
}

/** Conditions and-ed, an or-ed one in parentheses. */
function and (conditions: readonly string[]): string {
  return conditions.length === 1 ? conditions[0] as string : conditions.map(c => c.includes('||') ? `(${c})` : c).join(' && ')
}

/** Conditions or-ed, a compound one in parentheses. */
function or (conditions: readonly string[]): string {
  return conditions.length === 1 ? conditions[0] as string : conditions.map(c => /&&|\|\|/.test(c) ? `(${c})` : c).join(' || ')
}
