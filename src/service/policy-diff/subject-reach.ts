/**
 * What a subject may do on a module, whatever the resource: for each action, every
 * resource, the resources where it appears in some relations, or none. Computed with the
 * engine's own `decide` on probe resources, so that roles that apply, project roles,
 * flags, overrides (`access`, `level`, `allow`, `deny`, `flags`), `admin`, `all` and the
 * owner count exactly as in a decision. Resource ACLs are data, not policy: probes have none.
 */
import type { CompiledPolicy, ResourceFacts, Subject } from '../../engine/index.js'
import { allowedActions, decide, moduleDeclaration } from '../../engine/index.js'
import { compareNames } from './role-permissions.js'
import type { SubjectReach } from './types.js'

const NOT_ALLOWED: SubjectReach = Object.freeze({ allowed: false })

/** The id probe resources carry; no decision reads it (probes have no ACL and no parent). */
const PROBE_ID = '(policy-diff probe)'

/**
 * The subject's reach for every action of `module` (a module of `policy`, or anything
 * naming one: its declaration, its compiled form), on resources of `project`
 * (`undefined`: resources of no project, where only its tenant-wide roles apply). Empty
 * when the policy has no such module.
 *
 * A resource is in a grant's scope when the scope is `all` or one of the scope's
 * relations names the subject, so one probe with no relation values (allowed: every
 * resource) and one probe per relation naming only the subject's id (allowed: the
 * resources where it appears in that relation) give the reach exactly.
 */
export function subjectReach (policy: CompiledPolicy, subject: Subject, { name }: { readonly name: string }, project: string | undefined): Map<string, SubjectReach> {
  const module = moduleDeclaration(policy, name)
  if (module === undefined) return new Map()
  const probe = (relations: Record<string, string[]>): ResourceFacts => {
    const resource: ResourceFacts = { module: module.name, id: PROBE_ID, relations }
    if (project !== undefined) resource.project = project
    return resource
  }
  const isCustom = (resource: ResourceFacts, action: string): boolean =>
    decide(policy, { subject, action, resource }).reason.code === 'override_grant'

  const everywhere = probe({})
  const onAll = new Set(allowedActions(policy, subject, everywhere))
  const byRelation = new Map<string, string[]>()
  const customByRelation = new Set<string>()
  for (const relation of [...new Set(module.relations)].sort(compareNames)) {
    const resource = probe({ [relation]: [subject.id] })
    for (const action of allowedActions(policy, subject, resource)) {
      if (onAll.has(action)) continue
      byRelation.set(action, [...(byRelation.get(action) ?? []), relation])
      if (isCustom(resource, action)) customByRelation.add(action)
    }
  }
  const reach = new Map<string, SubjectReach>()
  for (const { name: action } of module.actions) {
    const relations = byRelation.get(action)
    if (onAll.has(action)) {
      reach.set(action, { allowed: true, scope: { kind: 'all' }, custom: isCustom(everywhere, action) })
    } else if (relations !== undefined) {
      reach.set(action, { allowed: true, scope: { kind: 'relations', relations }, custom: customByRelation.has(action) })
    } else {
      reach.set(action, NOT_ALLOWED)
    }
  }
  return reach
}

/** Whether two reaches allow the same resources (`custom` aside: who grants is not what is granted). */
export function sameReach (a: SubjectReach, b: SubjectReach): boolean {
  if (!a.allowed || !b.allowed) return a.allowed === b.allowed
  if (a.scope.kind !== b.scope.kind) return false
  if (a.scope.kind === 'all' || b.scope.kind === 'all') return true
  return a.scope.relations.join('\n') === b.scope.relations.join('\n')
}

export { NOT_ALLOWED }
