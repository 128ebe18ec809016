/**
 * What a subject may do on a module, whatever the resource: for each action, every
 * resource, the resources where it appears in some relations, or none, and the condition
 * those resources must meet when conditions apply. Read from the engine's `actionAccess`
 * (the ways its grants reach resources, as search plans read them), so that roles that
 * apply, project roles, flags, overrides (`access`, `level`, `allow`, `deny`, `flags`,
 * `when`), `admin`, `all`, the owner and every `when` count exactly as in a decision.
 * Conditions are kept as their CEL texts: they read the resource and the request, which
 * a diff does not have. Resource ACLs are data, not policy: they are not read.
 */
import type { AccessScope, AccessWay, ActionAccess, CompiledPolicy, Subject } from '../../engine/index.js'
import { actionAccess, compileSubject, moduleDeclaration } from '../../engine/index.js'
import { compareNames } from './role-permissions.js'
import type { SubjectReach } from './types.js'

const NOT_ALLOWED: SubjectReach = Object.freeze({ allowed: false })

/**
 * The subject's reach for every action of `module` (a module of `policy`, or anything
 * naming one: its declaration, its compiled form), on resources of `project`
 * (`undefined`: resources of no project, where only its tenant-wide roles apply). Empty
 * when the policy has no such module. An allowance that only the subject's override
 * gives, or that it widens, is `custom`.
 */
export function subjectReach (policy: CompiledPolicy, subject: Subject, { name }: { readonly name: string }, project: string | undefined): Map<string, SubjectReach> {
  const module = moduleDeclaration(policy, name)
  const reach = new Map<string, SubjectReach>()
  if (module === undefined) return reach
  // Compiled once: its contexts (roles that apply, flags, override) serve every action.
  const compiled = compileSubject(policy, subject)
  for (const { name: action } of module.actions) {
    const full = reachOf(actionAccess(policy, compiled, module.name, project, action))
    if (!full.allowed) {
      reach.set(action, NOT_ALLOWED)
      continue
    }
    const plain = subject.overrides === undefined ? full : reachOf(actionAccess(policy, compiled, module.name, project, action, { plain: true }))
    reach.set(action, { ...full, custom: !sameReach(full, plain) })
  }
  return reach
}

/**
 * The ways of an access as one reach: the union of the scopes, and the condition (CEL)
 * that singles out, within it, the resources some way reaches. Conditions every way
 * shares are and-ed in front; a way whose scope is not the whole union names its
 * relations as `subject.id in resource.<relation>`; ways are or-ed in text order, so that
 * the same access always reads the same.
 */
function reachOf (access: ActionAccess): SubjectReach {
  if (!access.allowed) return NOT_ALLOWED
  const ways = access.ways
  const common = (ways[0] as AccessWay).when.filter(c => ways.every(w => w.when.includes(c)))
  const rests = ways.map(w => ({ scope: w.scope, when: w.when.filter(c => !common.includes(c)) }))
  // The resources reached whatever the conditions say (besides the shared ones).
  const plain = union(rests.filter(w => w.when.length === 0).map(w => w.scope))
  const conditional = rests.filter(w => w.when.length > 0 && !covers(plain, w.scope))
  const scope = union([...(plain === undefined ? [] : [plain]), ...conditional.map(w => w.scope)]) as AccessScope
  const alternatives = conditional.map(w => and([...(sameScope(w.scope, scope) ? [] : [membership(w.scope)]), ...w.when]))
  if (plain !== undefined && alternatives.length > 0) alternatives.push(membership(plain))
  const when = and([...common, ...(alternatives.length === 0 ? [] : [or([...new Set(alternatives)].sort(compareNames))])])
  const reach: SubjectReach = { allowed: true, scope, custom: false }
  if (when !== '') reach.when = when
  return reach
}

/** The union of scopes; `undefined` for none. */
function union (scopes: readonly AccessScope[]): AccessScope | undefined {
  if (scopes.length === 0) return undefined
  if (scopes.some(s => s.kind === 'all')) return { kind: 'all' }
  return { kind: 'relations', relations: [...new Set(scopes.flatMap(s => s.kind === 'relations' ? s.relations : []))].sort(compareNames) }
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

/** Whether two reaches allow the same resources under the same condition (`custom` aside: who grants is not what is granted). */
export function sameReach (a: SubjectReach, b: SubjectReach): boolean {
  if (!a.allowed || !b.allowed) return a.allowed === b.allowed
  if (a.when !== b.when) return false
  if (a.scope.kind !== b.scope.kind) return false
  if (a.scope.kind === 'all' || b.scope.kind === 'all') return true
  return a.scope.relations.join('\n') === b.scope.relations.join('\n')
}

export { NOT_ALLOWED }
