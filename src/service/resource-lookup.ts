/**
 * The resource of an AuthZEN request as decisions see it: evaluated as sent when it has
 * `properties`, else the stored resource (a resource nobody stored is one with no
 * project, relations or ACL), with its stored ancestors through `parent`. Shared by
 * evaluations and searches, so that a search returns exactly what evaluation allows.
 */
import { MAX_ANCESTOR_DEPTH, resourceFromProperties } from '../engine/index.js'
import type { ResourceFacts } from '../engine/model.js'
import { ServiceError, validationFailed } from './errors.js'
import type { ErrorDetail } from './errors.js'
import type { ResourceCache } from './resource-cache.js'
import type { TenantState } from './tenant-state.js'

/** An AuthZEN resource with its type and id; `properties` when sent inline. */
export interface ResourceRef {
  type: string
  id: string
  properties?: Record<string, unknown>
}

export interface ResolvedResource {
  resource: ResourceFacts
  /** Stored ancestors, nearest first. */
  ancestors: ResourceFacts[]
}

/**
 * Resolves `ref` for the tenant. Throws ServiceError `no_policy`, or `validation_failed`
 * (paths under `pointer`, e.g. `/resource`) when inline properties are unusable.
 */
export async function resolveResource (state: TenantState, cache: ResourceCache, ref: ResourceRef, pointer = '/resource'): Promise<ResolvedResource> {
  const resource = await resourceFacts(state, cache, ref, pointer)
  return { resource, ancestors: await ancestorsOf(state.tenantId, cache, resource) }
}

async function resourceFacts (state: TenantState, cache: ResourceCache, ref: ResourceRef, pointer: string): Promise<ResourceFacts> {
  const { type: module, id } = ref
  if (ref.properties !== undefined) {
    const policy = state.policy
    if (policy === undefined) throw new ServiceError('no_policy', `tenant \`${state.tenantId}\` has no policy yet`)
    const converted = resourceFromProperties(policy, module, id, ref.properties, { strict: false })
    if (!converted.ok) {
      const details: ErrorDetail[] = converted.issues.map(i => ({ in: 'body', path: `${pointer}/properties${i.path}`, message: i.message, code: i.code }))
      throw validationFailed(`invalid resource properties: ${converted.issues[0]?.message ?? 'unusable properties'}`, details)
    }
    return converted.resource
  }
  return await cache.get(state.tenantId, module, id) ?? { module, id, relations: {} }
}

/** The stored ancestors through `parent`, nearest first; stops at a missing one, a cycle or the depth bound. */
async function ancestorsOf (tenantId: string, cache: ResourceCache, resource: ResourceFacts): Promise<ResourceFacts[]> {
  const ancestors: ResourceFacts[] = []
  const seen = new Set([resource.id])
  let parent = resource.parent
  while (parent !== undefined && !seen.has(parent) && ancestors.length < MAX_ANCESTOR_DEPTH) {
    seen.add(parent)
    const facts = await cache.get(tenantId, resource.module, parent)
    if (facts === undefined) break
    ancestors.push(facts)
    parent = facts.parent
  }
  return ancestors
}
