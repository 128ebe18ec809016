/**
 * The decision use cases: AuthZEN Access Evaluation and Access Evaluations over a
 * tenant's in-memory state. A request only reaches the store for resources not yet
 * cached; everything else is memory.
 */
import { aclHolder, decide } from '../engine/index.js'
import type { CompiledPolicy, CompiledSubject } from '../engine/index.js'
import type { FieldAccess, ResourceFacts } from '../engine/model.js'
import type { Reason } from '../engine/reasons.js'
import { REASON_CODES } from '../engine/reasons.js'
import { requirePolicy } from './admin.js'
import { conditionInputs } from './condition-inputs.js'
import { ServiceError, validationFailed } from './errors.js'
import type { ResourceCache } from './resource-cache.js'
import { UNKNOWN_MODULE } from './tallies.js'
import type { DecisionTally } from './tallies.js'
import { inlineFacts, resolveCached, resolveResource } from './resource-lookup.js'
import type { InlineFacts, ResolvedResource } from './resource-lookup.js'
import type { TenantState, TenantStates } from './tenant-state.js'
import { findCompiledSubject } from './tenant-state.js'

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

export class DecisionService {
  readonly #states: TenantStates
  readonly #resources: ResourceCache
  readonly #tally: DecisionTally | undefined

  /** `tally`: counts every decision made, by module, reason and outcome (for metrics). */
  constructor (opts: { states: TenantStates, resources: ResourceCache, tally?: DecisionTally }) {
    this.#states = opts.states
    this.#resources = opts.resources
    this.#tally = opts.tally
  }

  /**
   * One AuthZEN evaluation. Throws ServiceError `tenant_not_found`, `no_policy`, or
   * `validation_failed` when inline resource properties are unusable. Answers without a
   * promise when everything it needs is in memory (the common case on a warm replica).
   */
  evaluate (tenantId: string, input: EvaluationInput): EvaluationResult | Promise<EvaluationResult> {
    const state = this.#readyNow(tenantId, input.context)
    const now = state === undefined ? undefined : this.#evaluateNow(state, input)
    return now ?? this.#evaluateLater(tenantId, input)
  }

  async #evaluateLater (tenantId: string, input: EvaluationInput): Promise<EvaluationResult> {
    const state = await stateForRequest(this.#states, tenantId, input.context)
    return this.#evaluateNow(state, input) ?? await this.#evaluateLoading(state, input)
  }

  /**
   * AuthZEN Access Evaluations: top-level entities are defaults that an item replaces
   * as a whole. An item still missing an entity fails closed (`decision: false`,
   * reason `evaluation_error`); the others are decided. Without items, this is a single
   * evaluation of the top-level entities.
   */
  async evaluateMany (tenantId: string, input: EvaluationsInput): Promise<EvaluationsResult> {
    const state = this.#readyNow(tenantId, input.context) ?? await stateForRequest(this.#states, tenantId, input.context)
    requirePolicy(state) // no policy: the whole call fails, as a single evaluation does
    const items = input.evaluations ?? []
    if (items.length === 0) {
      const missing = missingEntities(input)
      if (missing.length > 0) {
        throw validationFailed(`body ${missing.map(m => `\`/${m.replaceAll('.', '/')}\``).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required`,
          missing.map(m => ({ in: 'body', path: `/${m.replaceAll('.', '/')}`, message: 'is required', code: 'required' })))
      }
      return this.#evaluateNow(state, input as EvaluationInput) ?? await this.#evaluateLoading(state, input as EvaluationInput)
    }

    const semantic = input.options?.evaluations_semantic ?? 'execute_all'
    const withContext = input.options?.context === true
    const inline = new InlineResources()
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
        this.#tally?.count(UNKNOWN_MODULE, false, false, 'evaluation_error')
      } else {
        try {
          const one = merged as EvaluationInput
          result = this.#evaluateNow(state, one, inline) ?? await this.#evaluateLoading(state, one, inline)
        } catch (err) {
          if (!(err instanceof ServiceError) || err.code !== 'validation_failed' || err === inline.exceeded) throw err
          result = failed(state, `evaluation ${index}: ${err.message}`)
          this.#tally?.count(merged.resource?.type ?? '', state.policy?.modules.has(merged.resource?.type ?? '') === true, false, 'evaluation_error')
        }
      }
      results.push(withContext ? result : { decision: result.decision })
      if (semantic === 'deny_on_first_deny' && !result.decision) break
      if (semantic === 'permit_on_first_permit' && result.decision) break
    }
    return { evaluations: results }
  }

  /**
   * The tenant's state when it is in memory and new enough for the request's
   * `context.min_revision`; `undefined` when that takes the store (then `stateForRequest`).
   */
  #readyNow (tenantId: string, context?: Record<string, unknown>): TenantState | undefined {
    const state = this.#states.loadedState(tenantId)
    if (state === undefined) return undefined
    const min = minRevision(context)
    return min === undefined || min <= state.revision ? state : undefined
  }

  /** The decision from memory, or `undefined` when a stored resource it needs is not cached. */
  #evaluateNow (state: TenantState, input: EvaluationInput, inline?: InlineResources): EvaluationResult | undefined {
    const policy = requirePolicy(state)
    const r = resolveCached(state, this.#resources, input.resource, '/resource', undefined, inline?.facts)
    return r.kind === 'resolved' ? this.#counted(policy, input, decideWith(state, policy, state.revision, input, r.resolved, inline)) : undefined
  }

  async #evaluateLoading (state: TenantState, input: EvaluationInput, inline?: InlineResources): Promise<EvaluationResult> {
    // Read before the store is: the decision and the revision it reports must match.
    const policy = requirePolicy(state)
    const revision = state.revision
    return this.#counted(policy, input, decideWith(state, policy, revision, input, await resolveResource(state, this.#resources, input.resource, '/resource', inline?.facts), inline))
  }

  #counted (policy: CompiledPolicy, input: EvaluationInput, result: EvaluationResult): EvaluationResult {
    const module = input.resource.type
    this.#tally?.count(module, policy.modules.has(module), result.decision, result.context.reason.code)
    return result
  }
}

/**
 * ACL entries one Access Evaluations request may have its items check, summed over the
 * items (the ACL that applies to each item's resource): a decision reads its ACL entry by
 * entry, and a thousand items on a resource whose ACL fills the body would otherwise hold
 * the event loop for seconds. A thousand items on a 1,000-entry ACL are within it.
 */
export const MAX_ACL_CHECKS = 1_000_000

/**
 * The inline resources of one Access Evaluations request, converted once each: items
 * often share a resource (the top-level default, or copies of one), and turning its
 * properties into facts costs as much as its ACL is long, so that a thousand items on
 * one resource with a thousand ACL entries would otherwise check a million entries.
 * Known by object first, else by their JSON text (that costs the size of the body, once);
 * a resource that cannot be converted is remembered too, and throws again.
 */
class InlineResources {
  readonly #byObject = new Map<object, Converted>()
  readonly #byText = new Map<string, Converted>()
  #aclChecks = 0
  /** The error of a request past MAX_ACL_CHECKS: the whole request fails, not the item. */
  exceeded: ServiceError | undefined

  readonly #narrowed = new Map<ResourceFacts, Map<CompiledSubject, ResourceFacts>>()

  /**
   * The item's resource with the ACL that applies cut down to the entries that can name
   * the subject (its names, a role, or `*`; in their order, so that the decision and its
   * reason are the same), once per ACL holder and subject: each item then reads a few
   * entries instead of the whole ACL. Counts what is read; throws past MAX_ACL_CHECKS.
   */
  narrow (resolved: ResolvedResource, subject: CompiledSubject | undefined): ResolvedResource {
    const { resource, ancestors } = resolved
    const holder = aclHolder(resource, ancestors)
    const acl = holder?.acl
    if (holder === undefined || acl === undefined) return resolved
    if (subject === undefined) {
      this.#charge(acl.length)
      return resolved
    }
    let bySubject = this.#narrowed.get(holder)
    if (bySubject === undefined) this.#narrowed.set(holder, bySubject = new Map())
    let narrowed = bySubject.get(subject)
    if (narrowed === undefined) {
      this.#charge(acl.length)
      const entries = acl.filter(e => typeof e?.who === 'string' && (e.who === '*' || e.who.startsWith('role:') || subject.names.has(e.who)))
      narrowed = { ...holder, acl: entries }
      bySubject.set(subject, narrowed)
    }
    this.#charge(narrowed.acl?.length ?? 0)
    if (holder === resource) return { resource: narrowed, ancestors }
    return { resource, ancestors: ancestors.map(a => a === holder ? narrowed : a) }
  }

  #charge (entries: number): void {
    this.#aclChecks += entries
    if (this.#aclChecks <= MAX_ACL_CHECKS || this.exceeded !== undefined) return
    this.exceeded = validationFailed(`the evaluations would check more than ${MAX_ACL_CHECKS} ACL entries (items times the entries of the ACL that applies to each): send fewer items or shorter ACLs`, [
      { in: 'body', path: '/evaluations', message: `would check more than ${MAX_ACL_CHECKS} ACL entries`, code: 'too_many_acl_checks' }
    ])
    throw this.exceeded
  }

  readonly facts: InlineFacts = (state, ref, pointer) => {
    let converted = this.#byObject.get(ref)
    if (converted === undefined) {
      // The pointer is part of the error a conversion throws.
      const text = JSON.stringify([pointer, ref.type, ref.id, ref.properties])
      converted = this.#byText.get(text)
      if (converted === undefined) {
        try {
          converted = { facts: inlineFacts(state, ref, pointer) }
        } catch (error) {
          converted = { error }
        }
        this.#byText.set(text, converted)
      }
      this.#byObject.set(ref, converted)
    }
    if ('error' in converted) throw converted.error
    return converted.facts
  }
}

type Converted = { facts: ResourceFacts } | { error: unknown }

function decideWith (state: TenantState, policy: CompiledPolicy, revision: number, input: EvaluationInput, resolved: ResolvedResource, inline?: InlineResources): EvaluationResult {
  const subject = findCompiledSubject(state, policy, input.subject.id)
  const { resource, ancestors } = inline === undefined ? resolved : inline.narrow(resolved, subject)
  const decision = decide(policy, { ...conditionInputs(policy, input), subject, action: input.action.name, resource, ancestors })
  const context: DecisionContext = { reason: decision.reason, revision }
  if (decision.fields !== undefined) context.fields = decision.fields
  return { decision: decision.allowed, context }
}

/**
 * The tenant's state for a request (a decision or a search), at least as new as its
 * `context.min_revision` when it sends one (a consistency token: the revision a write
 * answered). A state behind it is brought up to date from the store first; a revision the
 * store has not reached is a `validation_failed` naming it.
 */
export async function stateForRequest (states: TenantStates, tenantId: string, context: Record<string, unknown> | undefined): Promise<TenantState> {
  let state = await states.get(tenantId)
  const min = minRevision(context)
  if (min !== undefined) {
    if (min > state.revision) state = await states.refresh(tenantId) ?? await states.get(tenantId)
    if (min > state.revision) {
      throw validationFailed(`tenant \`${tenantId}\` is at revision ${state.revision}, below \`context.min_revision\` ${min}`, [
        { in: 'body', path: '/context/min_revision', message: `is ahead of the tenant's revision ${state.revision}`, code: 'revision_ahead' }
      ])
    }
  }
  return state
}

/** `context.min_revision`, checked: a non-negative integer, or absent. */
function minRevision (context: Record<string, unknown> | undefined): number | undefined {
  const min = context?.min_revision
  if (min === undefined) return undefined
  if (typeof min !== 'number' || !Number.isSafeInteger(min) || min < 0) {
    throw validationFailed('`context.min_revision` must be a non-negative integer', [{ in: 'body', path: '/context/min_revision', message: 'must be a non-negative integer', code: 'type' }])
  }
  return min
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
