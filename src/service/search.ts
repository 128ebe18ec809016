/**
 * The AuthZEN search use cases (listAllowed): which resources a subject may act on,
 * which subjects may act on a resource, which actions a subject may do on a resource.
 * Each answers exactly what evaluation would allow, because each asks the same engine:
 * resources through the engine's query plan run by the store's indexes (ADR 0002),
 * subjects and actions by deciding over the tenant's in-memory state.
 *
 * Pages: results come in a stable order (ids ascending; actions in declaration order)
 * and a `next_token` continues after the last one. A token is opaque but not secret: it
 * carries the position and a digest of the tenant and the request without its token, so
 * that a token replayed with another query, limit or tenant is refused (400) instead of
 * silently answering a different question. A forged position can only move within the
 * same authorized result.
 */
import { createHash } from 'node:crypto'
import { decide, planSearch } from '../engine/index.js'
import type { QueryPlan } from '../engine/index.js'
import type { FieldAccess, Subject } from '../engine/model.js'
import type { Store } from '../store/store.js'
import { MAX_PAGE_LIMIT } from '../store/store.js'
import { requirePolicy } from './admin.js'
import { conditionInputs } from './condition-inputs.js'
import { stateForRequest } from './decisions.js'
import { validationFailed } from './errors.js'
import type { ResourceCache } from './resource-cache.js'
import type { SearchFactsCache } from './search-facts-cache.js'
import { resolveResource } from './resource-lookup.js'
import type { ResourceRef } from './resource-lookup.js'
import type { TenantState, TenantStates } from './tenant-state.js'
import { findCompiledSubject } from './tenant-state.js'

export { MAX_PAGE_LIMIT as MAX_SEARCH_LIMIT }

/** The `page` of a search request. */
export interface SearchPageInput {
  token?: string
  limit?: number
  [key: string]: unknown
}

interface Entity { type: string, id?: string, properties?: Record<string, unknown>, [key: string]: unknown }

/** `POST /access/v1/search/resource`: the schema has checked that the ids named here are present. */
export interface ResourceSearchInput {
  subject: Entity & { id: string }
  action: { name: string, properties?: Record<string, unknown>, [key: string]: unknown }
  resource: Entity
  context?: Record<string, unknown>
  page?: SearchPageInput
  [key: string]: unknown
}

/** `POST /access/v1/search/subject`. */
export interface SubjectSearchInput {
  subject: Entity
  action: { name: string, properties?: Record<string, unknown>, [key: string]: unknown }
  resource: Entity & { id: string }
  context?: Record<string, unknown>
  page?: SearchPageInput
  [key: string]: unknown
}

/** `POST /access/v1/search/action`. */
export interface ActionSearchInput {
  subject: Entity & { id: string }
  resource: Entity & { id: string }
  context?: Record<string, unknown>
  page?: SearchPageInput
  [key: string]: unknown
}

export interface SearchPage {
  /** `''` on the last page. */
  next_token: string
  count: number
}

export interface ResourceSearchResult {
  page: SearchPage
  results: Array<{ type: string, id: string }>
  /** The query plan (ADR 0002) a caller can run on its own table, and the revision decided at. */
  context: { plan: QueryPlan, revision: number }
}

export interface SubjectSearchResult {
  page: SearchPage
  results: Array<{ type: string, id: string }>
  context: { revision: number }
}

export interface ActionSearchResult {
  page: SearchPage
  /** Bare `{ name }` items, as AuthZEN clients compare them. */
  results: Array<{ name: string }>
  /** For modules with fields: the fields each returned action may see and edit. */
  context: { revision: number, fields?: Record<string, FieldAccess> }
}

type SearchKind = 'resource' | 'subject' | 'action'

export class SearchService {
  readonly #states: TenantStates
  readonly #resources: ResourceCache
  readonly #facts: SearchFactsCache
  readonly #store: Store

  constructor (opts: { states: TenantStates, resources: ResourceCache, facts: SearchFactsCache, store: Store }) {
    this.#states = opts.states
    this.#resources = opts.resources
    this.#facts = opts.facts
    this.#store = opts.store
  }

  /** The stored resources of `resource.type` the subject may do the action on; `resource.id` is ignored. */
  async resources (tenantId: string, input: ResourceSearchInput): Promise<ResourceSearchResult> {
    const state = await this.#ready(tenantId, input.context)
    const revision = state.revision
    const { type } = input.resource
    const resourceless = { ...input.resource }
    delete resourceless.id
    const cursor = openCursor(tenantId, 'resource', { ...input, resource: resourceless }, input.page)
    const policy = state.policy as NonNullable<TenantState['policy']>
    const subject = findCompiledSubject(state, policy, input.subject.id)
    const inputs = conditionInputs(policy, input)
    const plan = policy.modules.has(type) && subject !== undefined
      ? planSearch(policy, subject, input.action.name, type, await this.#facts.read(tenantId, type, revision, async () => await this.#store.getSearchFacts(tenantId, type)), inputs)
      : { kind: 'never' as const }
    const page = await this.#store.listResources(tenantId, type, plan, cursor.after === undefined ? { limit: cursor.limit } : { limit: cursor.limit, after: cursor.after })
    const last = page.ids[page.ids.length - 1]
    return {
      page: { next_token: page.hasMore && last !== undefined ? cursor.next(last) : '', count: page.ids.length },
      results: page.ids.map(id => ({ type, id })),
      context: { plan, revision }
    }
  }

  /** The subjects that may do the action on the resource; `subject.id` is ignored, results carry the requested `subject.type`. */
  async subjects (tenantId: string, input: SubjectSearchInput): Promise<SubjectSearchResult> {
    const state = await this.#ready(tenantId, input.context)
    const revision = state.revision
    const subjectless = { ...input.subject }
    delete subjectless.id
    const cursor = openCursor(tenantId, 'subject', { ...input, subject: subjectless }, input.page)
    const policy = state.policy as NonNullable<TenantState['policy']>
    const { resource, ancestors } = await resolveResource(state, this.#resources, input.resource as ResourceRef)
    // The searched subjects are every stored one: `subject.properties` describes none of them.
    const inputs = conditionInputs(policy, { action: input.action, context: input.context })
    const ids = [...state.subjectsById.keys()].sort(compareIds)
    const start = cursor.after === undefined ? 0 : firstAfter(ids, cursor.after)
    const found: string[] = []
    let more = false
    for (let i = start; i < ids.length; i++) {
      const subject = state.subjectsById.get(ids[i] as string) as Subject
      if (!decide(policy, { ...inputs, subject, action: input.action.name, resource, ancestors }).allowed) continue
      if (found.length === cursor.limit) {
        more = true
        break
      }
      found.push(subject.id)
    }
    const last = found[found.length - 1]
    return {
      page: { next_token: more && last !== undefined ? cursor.next(last) : '', count: found.length },
      results: found.map(id => ({ type: input.subject.type, id })),
      context: { revision }
    }
  }

  /** The actions of the resource's module the subject may do on it, in declaration order. */
  async actions (tenantId: string, input: ActionSearchInput): Promise<ActionSearchResult> {
    const state = await this.#ready(tenantId, input.context)
    const revision = state.revision
    const cursor = openCursor(tenantId, 'action', input, input.page)
    const policy = state.policy as NonNullable<TenantState['policy']>
    const subject = findCompiledSubject(state, policy, input.subject.id)
    const module = policy.modules.get(input.resource.type)
    const names = module?.actions ?? []
    const { resource, ancestors } = await resolveResource(state, this.#resources, input.resource as ResourceRef)
    // No action is named: the actions' conditions read no `action.<property>`.
    const inputs = conditionInputs(policy, { subject: input.subject, context: input.context })
    const start = cursor.after === undefined ? 0 : names.indexOf(cursor.after) + 1
    const found: string[] = []
    const fields: Record<string, FieldAccess> = {}
    let more = false
    for (let i = start; i < names.length; i++) {
      const action = names[i] as string
      const decision = decide(policy, { ...inputs, subject, subjectId: input.subject.id, action, resource, ancestors })
      if (!decision.allowed) continue
      if (found.length === cursor.limit) {
        more = true
        break
      }
      found.push(action)
      if (decision.fields !== undefined) fields[action] = decision.fields
    }
    const last = found[found.length - 1]
    const context: ActionSearchResult['context'] = { revision }
    if (Object.keys(fields).length > 0) context.fields = fields
    return {
      page: { next_token: more && last !== undefined ? cursor.next(last) : '', count: found.length },
      results: found.map(name => ({ name })),
      context
    }
  }

  /** The tenant's state, at least as new as the request's `context.min_revision`; it has a policy. */
  async #ready (tenantId: string, context: Record<string, unknown> | undefined): Promise<TenantState> {
    const state = await stateForRequest(this.#states, tenantId, context)
    requirePolicy(state)
    return state
  }
}

interface Cursor {
  limit: number
  /** The last result of the previous page, when continuing. */
  after: string | undefined
  /** The token continuing after `last`. */
  next: (last: string) => string
}

/**
 * Reads the request's page: its limit (default and maximum MAX_PAGE_LIMIT) and, with a
 * token, the position it continues from, after checking that the token was issued for
 * this very request (same tenant, kind, entities, context and limit).
 */
function openCursor (tenantId: string, kind: SearchKind, request: Record<string, unknown>, page: SearchPageInput | undefined): Cursor {
  const limit = page?.limit ?? MAX_PAGE_LIMIT
  const { token, ...pageRest } = page ?? {}
  const digest = requestDigest(tenantId, kind, { ...request, page: pageRest, limit })
  const next = (last: string): string => Buffer.from(JSON.stringify({ q: digest, a: last })).toString('base64url')
  if (token === undefined) return { limit, after: undefined, next }
  const position = readToken(token)
  if (position === undefined || position.q !== digest) {
    throw validationFailed('invalid `page.token`: it was not issued for this request (the tenant, entities, context and limit must be those of the first page)', [
      { in: 'body', path: '/page/token', message: 'was not issued for this request', code: 'invalid_page_token' }
    ])
  }
  return { limit, after: position.a, next }
}

function readToken (token: string): { q: string, a: string } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown
    if (typeof value !== 'object' || value === null) return undefined
    const { q, a } = value as Record<string, unknown>
    return typeof q === 'string' && typeof a === 'string' ? { q, a } : undefined
  } catch {
    return undefined
  }
}

function requestDigest (tenantId: string, kind: SearchKind, request: Record<string, unknown>): string {
  const text = `{"kind":${JSON.stringify(kind)},"request":${canonicalJson(request, '', 0)},"tenantId":${JSON.stringify(tenantId)}}`
  return createHash('sha256').update(text).digest('base64url').slice(0, 22)
}

/**
 * How deep a request may nest for its digest. The HTTP layer refuses deeper bodies first;
 * this bound keeps the recursion below a stack overflow for any other caller.
 */
const MAX_DIGEST_DEPTH = 64

/**
 * JSON with object keys sorted at every level, so that member order never changes a
 * digest. `path`: the JSON pointer of `value` in the request body, for the error.
 */
function canonicalJson (value: unknown, path: string, depth: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (depth >= MAX_DIGEST_DEPTH) {
    throw validationFailed(`the request nests deeper than ${MAX_DIGEST_DEPTH} levels`, [
      { in: 'body', path, message: `nests deeper than ${MAX_DIGEST_DEPTH} levels`, code: 'depth' }
    ])
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}/${i}`, depth + 1)).join(',')}]`
  const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, depth + 1)}`).join(',')}}`
}

/** Code-unit order: the same for every process, whatever its locale. */
function compareIds (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The index of the first id greater than `after` in sorted `ids`. */
function firstAfter (ids: readonly string[], after: string): number {
  let lo = 0
  let hi = ids.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((ids[mid] as string) <= after) lo = mid + 1
    else hi = mid
  }
  return lo
}
