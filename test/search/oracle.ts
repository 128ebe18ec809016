/**
 * The oracle of search tests: what the service reads of stored resources when it
 * evaluates (ancestors through `parent`, as `src/service/decisions.ts` walks them), and
 * what the store's search facts must therefore be. Written from ADR 0001 and the
 * service's walk, independently of the store's SQL, so that the two can be compared.
 */
import type { AclGroup, PlanResource, ResourceFacts, SearchFacts } from '../../src/engine/index.js'
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

/** What a plan reads of a stored resource: its effective project, and its own relations and attributes. */
export function planResourceOf (resource: ResourceFacts, ancestors: readonly ResourceFacts[]): PlanResource {
  const project = effectiveProject(resource, ancestors)
  const read: PlanResource = project === undefined ? { id: resource.id, relations: resource.relations } : { id: resource.id, project, relations: resource.relations }
  if (resource.attributes !== undefined) read.attributes = resource.attributes
  return read
}

/** The search facts of the resources of one module, as the store must report them. */
export function searchFactsOf (resources: readonly ResourceFacts[]): SearchFacts {
  const byId = new Map(resources.map(r => [r.id, r]))
  const groups = new Map<string, AclGroup & { ids: string[] }>()
  for (const r of resources) {
    const ancestors = ancestorsOf(byId, r)
    const holder = [r, ...ancestors].find(x => x.acl !== undefined)
    if (holder === undefined) continue
    const project = effectiveProject(r, ancestors)
    const key = JSON.stringify([holder.id, project ?? null])
    let group = groups.get(key)
    if (group === undefined) {
      group = { holder: holder.id, entries: holder.acl ?? [], ids: [] }
      if (project !== undefined) group.project = project
      groups.set(key, group)
    }
    group.ids.push(r.id)
  }
  return { aclGroups: [...groups.values()] }
}

/** Search facts in one order (groups by holder and project, ids sorted), for comparisons. */
export function sortedFacts (facts: SearchFacts): SearchFacts {
  const groups = facts.aclGroups.map(g => ({ ...g, ids: [...g.ids].sort() }))
  groups.sort((a, b) => {
    const ka = JSON.stringify([a.holder, a.project ?? null])
    const kb = JSON.stringify([b.holder, b.project ?? null])
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
  return { aclGroups: groups }
}
