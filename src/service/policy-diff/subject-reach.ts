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
import type { CompiledPolicy, Subject } from '../../engine/index.js'
import { actionAccess, compileSubject, moduleDeclaration, reachOf, sameReach } from '../../engine/index.js'
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

export { NOT_ALLOWED, sameReach }
