/**
 * The decision use cases: AuthZEN Access Evaluation and Access Evaluations over a
 * tenant's in-memory state. A request only reaches the store for resources not yet
 * cached; everything else is memory.
 */
import { decide, resourceFromProperties } from '../engine/index.js'
import type { FieldAccess, ResourceFacts } from '../engine/model.js'
import type { Reason } from '../engine/reasons.js'
import { REASON_CODES } from '../engine/reasons.js'
import { ServiceError, validationFailed } from './errors.js'
import type { ErrorDetail } from './errors.js'
import type { ResourceCache } from './resource-cache.js'
import type { TenantState, TenantStates } from './tenant-state.js'
import { findSubject } from './tenant-state.js'

/** An AuthZEN entity as received: the schema checked the types of the keys present. */
export interface EntityInput {
  type?: string
  id?: string
  properties?: Record<string, unknown>
  [key: string]: unknown
}

export interface ActionInput {
  name?: string
  properties?: Record<string, unknown>
  [key: string]: unknown
}

/** One AuthZEN evaluation: subject, action and resource are required by the schema. */
export interface EvaluationInput {
  subject: EntityInput & { type: string, id: string }
  action: ActionInput & { name: string }
  resource: EntityInput & { type: string, id: string }
  context?: Record<string, unknown>
  [key: string]: unknown
}

export interface EvaluationItemInput {
  subject?: EntityInput
  action?: ActionInput
  resource?: EntityInput
  context?: Record<string, unknown>
  [key: string]: unknown
}

export const EVALUATIONS_SEMANTICS = ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'] as const
export type EvaluationsSemantic = typeof EVALUATIONS_SEMANTICS[number]

export interface EvaluationsInput extends EvaluationItemInput {
  evaluations?: EvaluationItemInput[]
  options?: {
    evaluations_semantic?: EvaluationsSemantic
    /** `true`: each item carries its reason, fields and revision; default: bare `{ decision }`. */
    context?: boolean
    [key: string]: unknown
  }
}

export interface DecisionContext {
  reason: Reason
  fields?: FieldAccess
  /** The tenant revision the decision was made at. */
  revision: number
}

export interface EvaluationResult {
  decision: boolean
  context: DecisionContext
}

export interface EvaluationItemResult {
  decision: boolean
  context?: DecisionContext
}

export type EvaluationsResult = { evaluations: EvaluationItemResult[] } | EvaluationResult

/** How far `parent` links are followed; deeper ancestors are ignored. */
export const MAX_ANCESTOR_DEPTH = 32

export class DecisionService {
  readonly #states: TenantStates
  readonly #resources: ResourceCache

  constructor (opts: { states: TenantStates, resources: ResourceCache }) {
    this.#states = opts.states
    this.#resources = opts.resources
  }

  /**
   * One AuthZEN evaluation. Throws ServiceError `tenant_not_found`, `no_policy`, or
   * `validation_failed` when inline resource properties are unusable.
   */
  async evaluate (tenantId: string, input: EvaluationInput): Promise<EvaluationResult> {
    const state = await this.#ready(tenantId)
    return await this.#evaluateOne(state, input)
  }

  /**
   * AuthZEN Access Evaluations: top-level entities are defaults that an item replaces
   * as a whole. An item still missing an entity fails closed (`decision: false`,
   * reason `evaluation_error`); the others are decided. Without items, this is a single
   * evaluation of the top-level entities.
   */
  async evaluateMany (tenantId: string, input: EvaluationsInput): Promise<EvaluationsResult> {
    const state = await this.#ready(tenantId)
    const items = input.evaluations ?? []
    if (items.length === 0) {
      const missing = missingEntities(input)
      if (missing.length > 0) {
        throw validationFailed(`body ${missing.map(m => `\`/${m.replaceAll('.', '/')}\``).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required`,
          missing.map(m => ({ in: 'body', path: `/${m.replaceAll('.', '/')}`, message: 'is required', code: 'required' })))
      }
      return await this.#evaluateOne(state, input as EvaluationInput)
    }

    const semantic = input.options?.evaluations_semantic ?? 'execute_all'
    const withContext = input.options?.context === true
    const results: EvaluationItemResult[] = []
    for (const [index, item] of items.entries()) {
      const merged: EvaluationItemInput = {
        subject: item.subject ?? input.subject,
        action: item.action ?? input.action,
        resource: item.resource ?? input.resource,
        context: item.context ?? input.context
      }
      let result: EvaluationResult
      const missing = missingEntities(merged)
      if (missing.length > 0) {
        result = failed(state, `evaluation ${index} has no ${missing.map(m => `\`${m}\``).join(', ')} after defaults`)
      } else {
        try {
          result = await this.#evaluateOne(state, merged as EvaluationInput)
        } catch (err) {
          if (!(err instanceof ServiceError) || err.code !== 'validation_failed') throw err
          result = failed(state, `evaluation ${index}: ${err.message}`)
        }
      }
      results.push(withContext ? result : { decision: result.decision })
      if (semantic === 'deny_on_first_deny' && !result.decision) break
      if (semantic === 'permit_on_first_permit' && result.decision) break
    }
    return { evaluations: results }
  }

  async #ready (tenantId: string): Promise<TenantState> {
    const state = await this.#states.get(tenantId)
    if (state.policy === undefined) {
      throw new ServiceError('no_policy', `tenant \`${tenantId}\` has no policy yet`)
    }
    return state
  }

  async #evaluateOne (state: TenantState, input: EvaluationInput): Promise<EvaluationResult> {
    const policy = state.policy
    if (policy === undefined) throw new ServiceError('no_policy', `tenant \`${state.tenantId}\` has no policy yet`)
    // Read before any await: the decision and the revision it reports must match.
    const revision = state.revision
    const subject = findSubject(state, input.subject.id)
    const resource = await this.#resourceFacts(state, input.resource)
    const ancestors = await this.#ancestors(state.tenantId, resource)
    const decision = decide(policy, { subject, action: input.action.name, resource, ancestors })
    const context: DecisionContext = { reason: decision.reason, revision }
    if (decision.fields !== undefined) context.fields = decision.fields
    return { decision: decision.allowed, context }
  }

  async #resourceFacts (state: TenantState, resource: EvaluationInput['resource']): Promise<ResourceFacts> {
    const { type: module, id } = resource
    if (resource.properties !== undefined) {
      const policy = state.policy
      if (policy === undefined) throw new ServiceError('no_policy', `tenant \`${state.tenantId}\` has no policy yet`)
      const converted = resourceFromProperties(policy, module, id, resource.properties, { strict: false })
      if (!converted.ok) {
        const details: ErrorDetail[] = converted.issues.map(i => ({ in: 'body', path: `/resource/properties${i.path}`, message: i.message, code: i.code }))
        throw validationFailed(`invalid resource properties: ${converted.issues[0]?.message ?? 'unusable properties'}`, details)
      }
      return converted.resource
    }
    return await this.#resources.get(state.tenantId, module, id) ?? { module, id, relations: {} }
  }

  /** The stored ancestors through `parent`, nearest first; stops at a missing one, a cycle or the depth bound. */
  async #ancestors (tenantId: string, resource: ResourceFacts): Promise<ResourceFacts[]> {
    const ancestors: ResourceFacts[] = []
    const seen = new Set([resource.id])
    let parent = resource.parent
    while (parent !== undefined && !seen.has(parent) && ancestors.length < MAX_ANCESTOR_DEPTH) {
      seen.add(parent)
      const facts = await this.#resources.get(tenantId, resource.module, parent)
      if (facts === undefined) break
      ancestors.push(facts)
      parent = facts.parent
    }
    return ancestors
  }
}

function failed (state: TenantState, message: string): EvaluationResult {
  return {
    decision: false,
    context: { reason: { code: 'evaluation_error', message: `${REASON_CODES.evaluation_error}: ${message}` }, revision: state.revision }
  }
}

/** The entities (or their keys) an evaluation lacks, as dotted names: `resource`, `subject.id`. */
function missingEntities (item: EvaluationItemInput): string[] {
  const missing: string[] = []
  for (const [entity, keys] of [['subject', ['type', 'id']], ['action', ['name']], ['resource', ['type', 'id']]] as const) {
    const value = item[entity] as Record<string, unknown> | undefined
    if (value === undefined || value === null || typeof value !== 'object') {
      missing.push(entity)
      continue
    }
    for (const key of keys) {
      if (typeof value[key] !== 'string') missing.push(`${entity}.${key}`)
    }
  }
  return missing
}
