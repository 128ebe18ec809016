/**
 * The resource of an AuthZEN request as decisions see it: evaluated as sent when it has
 * `properties`, else the stored resource (a resource nobody stored is one with no
 * project, relations or ACL), with its stored ancestors through `parent`. Shared by
 * evaluations and searches, so that a search returns exactly what evaluation allows.
 */
import { MAX_ANCESTOR_DEPTH, resourceFromProperties } from '../engine/index.js'
import type { ResourceFacts } from '../engine/model.js'
import { issueDetails, requirePolicy } from './admin.js'
import { validationFailed } from './errors.js'
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
  ancestors: readonly ResourceFacts[]
}

/** A resolution from memory: done, or the one stored resource it needs read first. */
export type CachedResolution =
  | { kind: 'resolved', resolved: ResolvedResource }
  | { kind: 'missing', module: string, id: string }

const NO_ANCESTORS: readonly ResourceFacts[] = Object.freeze([])

/**
 * Resolves `ref` for the tenant. Throws ServiceError `no_policy`, or `validation_failed`
 * (paths under `pointer`, e.g. `/resource`) when inline properties are unusable.
 */
export async function resolveResource (state: TenantState, cache: ResourceCache, ref: ResourceRef, pointer = '/resource', convert: InlineFacts = inlineFacts): Promise<ResolvedResource> {
  // Each round reads one resource the cache did not know; the walk names at most
  // MAX_ANCESTOR_DEPTH + 1 of them, so this ends even if the cache keeps forgetting.
  const read = new Map<string, ResourceFacts | null>()
  for (;;) {
    const r = resolveCached(state, cache, ref, pointer, read, convert)
    if (r.kind === 'resolved') return r.resolved
    read.set(r.id, await cache.load(state.tenantId, r.module, r.id) ?? null)
  }
}

/**
 * `resolveResource` from memory only, so that a warm decision needs no promise: what the
 * cache (or `read`, resources read for this request) knows, else the first resource it
 * lacks. Throws as `resolveResource`.
 */
export function resolveCached (
  state: TenantState, cache: ResourceCache, ref: ResourceRef, pointer = '/resource', read?: ReadonlyMap<string, ResourceFacts | null>, convert: InlineFacts = inlineFacts
): CachedResolution {
  const { type: module, id } = ref
  let resource: ResourceFacts
  if (ref.properties !== undefined) {
    resource = convert(state, ref as InlineRef, pointer)
  } else {
    const stored = known(state, cache, read, module, id)
    if (stored === undefined) return { kind: 'missing', module, id }
    resource = stored ?? { module, id, relations: {} }
  }
  if (resource.parent === undefined) return { kind: 'resolved', resolved: { resource, ancestors: NO_ANCESTORS } }

  // The stored ancestors through `parent`, nearest first; stops at a missing one, a cycle or the depth bound.
  const ancestors: ResourceFacts[] = []
  const seen = new Set([resource.id])
  let parent: string | undefined = resource.parent
  while (parent !== undefined && !seen.has(parent) && ancestors.length < MAX_ANCESTOR_DEPTH) {
    seen.add(parent)
    const facts = known(state, cache, read, module, parent)
    if (facts === undefined) return { kind: 'missing', module, id: parent }
    if (facts === null) break
    ancestors.push(facts)
    parent = facts.parent
  }
  return { kind: 'resolved', resolved: { resource, ancestors } }
}

/** What this request read of a resource, else what the cache knows (see `ResourceCache.cached`). */
function known (state: TenantState, cache: ResourceCache, read: ReadonlyMap<string, ResourceFacts | null> | undefined, module: string, id: string): ResourceFacts | null | undefined {
  const hit = read?.get(id)
  return hit !== undefined ? hit : cache.cached(state.tenantId, module, id)
}

/** A resource sent with its properties. */
export type InlineRef = ResourceRef & { properties: Record<string, unknown> }

/** Turns an inline resource into facts; a caller deciding many items on one resource can remember the result. */
export type InlineFacts = (state: TenantState, ref: InlineRef, pointer: string) => ResourceFacts

/** The facts of an inline resource. Throws ServiceError `validation_failed` (paths under `pointer`) when its properties are unusable. */
export function inlineFacts (state: TenantState, ref: InlineRef, pointer: string): ResourceFacts {
  const converted = resourceFromProperties(requirePolicy(state), ref.type, ref.id, ref.properties, { strict: false })
  if (!converted.ok) {
    throw validationFailed(`invalid resource properties: ${converted.issues[0]?.message ?? 'unusable properties'}`, issueDetails(converted.issues, `${pointer}/properties`))
  }
  return converted.resource
}
