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
