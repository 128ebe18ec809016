/**
 * The oracle of search tests: what the service reads of stored resources when it
 * evaluates (ancestors through `parent`, as `src/service/decisions.ts` walks them), and
 * what the store's search facts must therefore be. Written from ADR 0001 and the
 * service's walk, independently of the store's SQL, so that the two can be compared.
 */
import type { PlanResource, ResourceFacts, SearchFacts } from '../../src/engine/index.js'
import { MAX_ANCESTOR_DEPTH, effectiveProject } from '../../src/engine/index.js'

/** The stored ancestors of `resource`, nearest first: stops at a missing parent, a cycle or MAX_ANCESTOR_DEPTH. */
export function ancestorsOf (byId: ReadonlyMap<string, ResourceFacts>, resource: ResourceFacts): ResourceFacts[] {
  const ancestors: ResourceFacts[] = []
  const seen = new Set([resource.id])
  let parent = resource.parent
  while (parent !== undefined && !seen.has(parent) && ancestors.length < MAX_ANCESTOR_DEPTH) {
    seen.add(parent)
    const facts = byId.get(parent)
    if (facts === undefined) break
    ancestors.push(facts)
    parent = facts.parent
  }
  return ancestors
}

/** What a plan reads of a stored resource: its effective project, its own relations and attributes, and its governing ACL. */
export function planResourceOf (resource: ResourceFacts, ancestors: readonly ResourceFacts[]): PlanResource {
  const project = effectiveProject(resource, ancestors)
  const read: PlanResource = project === undefined ? { id: resource.id, relations: resource.relations } : { id: resource.id, project, relations: resource.relations }
  if (resource.attributes !== undefined) read.attributes = resource.attributes
  const holder = [resource, ...ancestors].find(x => x.acl !== undefined)
  if (holder?.acl !== undefined) read.acl = holder.acl
  return read
}

/**
 * The search facts of the resources of one module, as the store must report them: whether
 * one holds an ACL, and the distinct string conditions of the entries that can apply (a
 * string `who`, and here a string `when`), sorted.
 */
export function searchFactsOf (resources: readonly ResourceFacts[]): SearchFacts {
  const conditions = new Set<string>()
  for (const r of resources) {
    for (const e of Array.isArray(r.acl) ? r.acl : []) {
      const { who, when, allow, deny } = (e ?? {}) as { who?: unknown, when?: unknown, allow?: unknown, deny?: unknown }
      const actions = [allow, deny].flatMap(list => Array.isArray(list) ? list : []).filter(a => typeof a === 'string')
      if (typeof who === 'string' && typeof when === 'string' && actions.length > 0) conditions.add(when)
    }
  }
  return { hasAcls: resources.some(r => r.acl !== undefined), aclConditions: [...conditions].sort() }
}

/** Search facts in one order (conditions sorted by code unit), for comparisons. */
export function sortedFacts (facts: SearchFacts): SearchFacts {
  return { hasAcls: facts.hasAcls, aclConditions: [...facts.aclConditions].sort() }
}
