/**
 * `GatehouseClient`: what a backend asks gatehouse, over HTTP.
 *
 * Contracts:
 * - Decisions (`check`, `checkMany`) never throw: a decision that could not be obtained is
 *   a deny whose `reason.code` is `gatehouse_unavailable`, `gatehouse_refused` or
 *   `gatehouse_invalid_response`, with the cause in `error` (fail closed).
 * - Searches (`whatCan`, `listAllowed`) and admin calls throw `GatehouseError`: a list
 *   that silently came back short would be wrong quietly.
 * - Read-your-writes: every successful write through `admin` records the revision it
 *   returned, and every later check or search sends `context.min_revision` (the highest
 *   recorded), so a replica that has not applied the write yet waits or refuses rather
 *   than answer from before it.
 */
import type { QueryPlan } from '../../../src/engine/plan.js'
import type {
  ActionSearchRequest, ActionSearchResponse, AdminCallArgs, AdminCallResult, DecisionFields, DecisionReason,
  EvaluationRequest, EvaluationResponse, HttpMethod, PathsWith, ResourceSearchRequest, ResourceSearchResponse
} from './api.js'
import { GatehouseError } from './errors.js'
import { Transport } from './transport.js'
import type { Answer, Exchange, TransportOptions } from './transport.js'

export interface GatehouseClientOptions extends TransportOptions {
  /**
   * The tenant: fills `{tenant}` in admin paths, and is sent as `Gatehouse-Tenant` with
   * decisions and searches (required with the root key, checked against a tenant key).
   */
  tenant?: string
  /** The `type` of a subject given as a bare id. Default `user`. */
  subjectType?: string
}

/** An entity as AuthZEN writes it. */
export interface Entity { type: string, id: string, properties?: Record<string, unknown> }
/** A subject: a bare id (of type `subjectType`) or an entity. */
export type SubjectInput = string | Entity
/** An action: its name, or `{ name, properties }`. */
export type ActionInput = string | { name: string, properties?: Record<string, unknown> }

export interface CheckInput {
  subject: SubjectInput
  action: ActionInput
  resource: Entity
  context?: Record<string, unknown>
}

export interface CheckManyInput {
  /** Defaults for the items, each replaced as a whole by an item's own. */
  subject?: SubjectInput
  action?: ActionInput
  resource?: Entity
  context?: Record<string, unknown>
  evaluations: Array<Partial<CheckInput>>
  /** `execute_all` (default) or a short-circuit, which answers fewer items. */
  semantic?: 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit'
}

export interface Decision {
  allowed: boolean
  reason: DecisionReason | { code: 'gatehouse_unavailable' | 'gatehouse_refused' | 'gatehouse_invalid_response', message: string }
  /** On an allowed decision on a module with fields: what the subject may see and edit. */
  fields?: DecisionFields
  /** The tenant revision the decision was made at. */
  revision?: number
  /** Set when the deny is the client's (gatehouse could not be asked, or refused the request), not the policy's. */
  error?: GatehouseError
}

export interface AllowedAction {
  name: string
  /** On a module with fields: what the subject may see and edit under this action. */
  fields?: DecisionFields
}

export interface WhatCanInput {
  subject: SubjectInput
  resource: Entity
  context?: Record<string, unknown>
}

export interface ListAllowedInput {
  subject: SubjectInput
  action: ActionInput
  /** The module searched. */
  resourceType: string
  /** Results per request, 1 to 1000. Default 1000. */
  pageSize?: number
  context?: Record<string, unknown>
}

/** One resource a search returned. */
export interface ResourceRef { type: string, id: string }

/**
 * The resources a subject may act on, every page of them, fetched as iterated. `plan()`
 * is the query plan to run on the caller's own table instead (see `planToSql`).
 */
export interface AllowedResources extends AsyncIterable<ResourceRef> {
  /** The query plan (from the first page, fetched if not yet). */
  plan: () => Promise<QueryPlan>
  /** The tenant revision the search was made at (from the first page). */
  revision: () => Promise<number>
}

type Typed = Record<HttpMethod, unknown>

/** Admin calls typed by the OpenAPI document: `client.admin.put('/v1/tenants/{tenant}/subjects/{id}', { params: { id }, body })`. */
export interface AdminCalls extends Typed {
  get: <P extends PathsWith<'get'>>(path: P, ...options: AdminCallArgs<P, 'get'>) => Promise<AdminCallResult<P, 'get'>>
  put: <P extends PathsWith<'put'>>(path: P, ...options: AdminCallArgs<P, 'put'>) => Promise<AdminCallResult<P, 'put'>>
  post: <P extends PathsWith<'post'>>(path: P, ...options: AdminCallArgs<P, 'post'>) => Promise<AdminCallResult<P, 'post'>>
  delete: <P extends PathsWith<'delete'>>(path: P, ...options: AdminCallArgs<P, 'delete'>) => Promise<AdminCallResult<P, 'delete'>>
}

interface LooseCallOptions { params?: Record<string, string>, query?: Record<string, unknown>, headers?: Record<string, string | undefined>, body?: unknown }

export class GatehouseClient {
  readonly #transport: Transport
  readonly #tenant: string | undefined
  readonly #subjectType: string
  #minRevision: number | undefined
  /** Admin calls typed by the OpenAPI document; writes make later checks read them. */
  readonly admin: AdminCalls

  constructor (options: GatehouseClientOptions) {
    this.#transport = new Transport(options)
    this.#tenant = options.tenant
    this.#subjectType = options.subjectType ?? 'user'
    const call = (method: Exchange['method']) => async (path: string, opts?: LooseCallOptions) => await this.#admin(method, path, opts ?? {})
    this.admin = { get: call('GET'), put: call('PUT'), post: call('POST'), delete: call('DELETE') } as unknown as AdminCalls
  }

  /** The revision later checks and searches wait for (the highest a write through this client returned). */
  get minRevision (): number | undefined {
    return this.#minRevision
  }

  /** Records a revision written elsewhere (another process) that this client's next checks must see. */
  observeRevision (revision: number): void {
    if (Number.isSafeInteger(revision) && revision >= 0 && (this.#minRevision === undefined || revision > this.#minRevision)) this.#minRevision = revision
  }

  /** One decision. Never throws: a decision that could not be obtained is a deny with the reason. */
  async check (input: CheckInput): Promise<Decision> {
    const body: EvaluationRequest = {
      subject: this.#subject(input.subject),
      action: action(input.action),
      resource: input.resource,
      ...this.#context(input.context)
    }
    try {
      const answer = await this.#decisionCall('/access/v1/evaluation', body)
      return decisionOf(answer.body as EvaluationResponse)
    } catch (err) {
      return failedDecision(err)
    }
  }

  /**
   * Many decisions in one request, in the order of `evaluations` (fewer with a
   * short-circuit semantic). Never throws: on failure, every item is a deny with the reason.
   */
  async checkMany (input: CheckManyInput): Promise<Decision[]> {
    const body = {
      ...(input.subject === undefined ? {} : { subject: this.#subject(input.subject) }),
      ...(input.action === undefined ? {} : { action: action(input.action) }),
      ...(input.resource === undefined ? {} : { resource: input.resource }),
      ...this.#context(input.context),
      evaluations: input.evaluations.map(item => ({
        ...(item.subject === undefined ? {} : { subject: this.#subject(item.subject) }),
        ...(item.action === undefined ? {} : { action: action(item.action) }),
        ...(item.resource === undefined ? {} : { resource: item.resource }),
        ...(item.context === undefined ? {} : this.#context(item.context))
      })),
      options: { evaluations_semantic: input.semantic ?? 'execute_all', context: true }
    }
    try {
      const answer = await this.#decisionCall('/access/v1/evaluations', body)
      const items = (answer.body as { evaluations?: unknown }).evaluations
      if (!Array.isArray(items)) throw new GatehouseError('invalid_response', 'gatehouse answered `evaluations` without a list', { status: answer.status, attempts: 1 })
      return items.map(item => decisionOf(item as EvaluationResponse))
    } catch (err) {
      const failed = failedDecision(err)
      return input.evaluations.map(() => ({ ...failed }))
    }
  }

  /** The actions `subject` may do on `resource`, each with its visible and editable fields. Throws `GatehouseError`. */
  async whatCan (input: WhatCanInput): Promise<AllowedAction[]> {
    const request: ActionSearchRequest = { subject: this.#subject(input.subject), resource: input.resource, ...this.#context(input.context) }
    const actions: AllowedAction[] = []
    let token: string | undefined
    do {
      const answer = await this.#decisionCall('/access/v1/search/action', token === undefined ? request : { ...request, page: { token } })
      const page = answer.body as ActionSearchResponse
      const fields = page.context.fields ?? {}
      for (const { name } of page.results) {
        const own = Object.hasOwn(fields, name) ? fields[name] : undefined
        actions.push(own === undefined ? { name } : { name, fields: own })
      }
      token = page.page.next_token === '' ? undefined : page.page.next_token
    } while (token !== undefined)
    return actions
  }

  /**
   * The stored resources of `resourceType` that `subject` may do `action` on, every page,
   * fetched as iterated; `plan()` gives the query plan. Iterating throws `GatehouseError`
   * when a page cannot be obtained.
   */
  listAllowed (input: ListAllowedInput): AllowedResources {
    // Every page is asked with an otherwise identical request, context included.
    const request: ResourceSearchRequest = {
      subject: this.#subject(input.subject),
      action: action(input.action),
      resource: { type: input.resourceType },
      ...this.#context(input.context)
    }
    const limit = input.pageSize ?? 1000
    const fetchPage = async (token?: string): Promise<ResourceSearchResponse> => {
      const answer = await this.#decisionCall('/access/v1/search/resource', { ...request, page: token === undefined ? { limit } : { limit, token } })
      return answer.body as ResourceSearchResponse
    }
    let first: Promise<ResourceSearchResponse> | undefined
    // A failed first page is asked again on the next call, not remembered as the answer.
    const firstPage = async (): Promise<ResourceSearchResponse> => await (first ??= fetchPage().catch((err: unknown) => { first = undefined; throw err }))
    return {
      plan: async () => (await firstPage()).context.plan as QueryPlan,
      revision: async () => (await firstPage()).context.revision,
      async * [Symbol.asyncIterator] () {
        let page = await firstPage()
        for (;;) {
          yield * page.results
          if (page.page.next_token === '') return
          page = await fetchPage(page.page.next_token)
        }
      }
    }
  }

  async #decisionCall (path: string, body: unknown): Promise<Answer> {
    // Decisions and searches are reads: safe to retry on a network error.
    return await this.#transport.send({
      method: 'POST',
      path,
      body,
      idempotent: true,
      ...(this.#tenant === undefined ? {} : { headers: { 'gatehouse-tenant': this.#tenant } })
    })
  }

  async #admin (method: Exchange['method'], template: string, opts: LooseCallOptions): Promise<unknown> {
    const params: Record<string, string | undefined> = { tenant: this.#tenant, ...opts.params }
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name]
      if (value === undefined) throw new TypeError(`gatehouse client: \`${name}\` is needed for ${method} ${template} (give it in params${name === 'tenant' ? ' or as the client\'s tenant' : ''})`)
      return encodeURIComponent(value)
    })
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(opts.query ?? {})) if (value !== undefined) query.append(name, String(value))
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(opts.headers ?? {})) if (value !== undefined) headers[name] = value
    const answer = await this.#transport.send({
      method,
      path: query.size === 0 ? path : `${path}?${query.toString()}`,
      ...(opts.body === undefined ? {} : { body: opts.body }),
      headers,
      // GET, PUT and DELETE are idempotent; a POST (a key, an ownership transfer) is not.
      idempotent: method !== 'POST'
    })
    if (method !== 'GET') this.#recordWrite(answer)
    return answer.body
  }

  /** A write's revision: its body's `revision`, else its `ETag` (every tenant route carries one). */
  #recordWrite (answer: Answer): void {
    const body = answer.body as { revision?: unknown } | undefined
    if (typeof body?.revision === 'number') {
      this.observeRevision(body.revision)
      return
    }
    const etag = /^(?:W\/)?"(\d+)"$/.exec(answer.headers.get('etag') ?? '')
    if (etag?.[1] !== undefined) this.observeRevision(Number(etag[1]))
  }

  #subject (subject: SubjectInput): Entity {
    return typeof subject === 'string' ? { type: this.#subjectType, id: subject } : subject
  }

  #context (context: Record<string, unknown> | undefined): { context?: Record<string, unknown> } {
    if (this.#minRevision === undefined) return context === undefined ? {} : { context }
    // A caller's own `min_revision` wins only when it asks for more.
    const own = context?.min_revision
    const min = typeof own === 'number' && own > this.#minRevision ? own : this.#minRevision
    return { context: { ...context, min_revision: min } }
  }
}

function action (input: ActionInput): { name: string, properties?: Record<string, unknown> } {
  return typeof input === 'string' ? { name: input } : input
}

function decisionOf (response: EvaluationResponse): Decision {
  if (typeof response?.decision !== 'boolean') {
    return failedDecision(new GatehouseError('invalid_response', 'gatehouse answered a decision without a boolean `decision`', { attempts: 1 }))
  }
  const context = response.context
  if (context === undefined) return failedDecision(new GatehouseError('invalid_response', 'gatehouse answered a decision without its context', { attempts: 1 }))
  return {
    allowed: response.decision,
    reason: context.reason,
    revision: context.revision,
    ...(context.fields === undefined ? {} : { fields: context.fields })
  }
}

function failedDecision (err: unknown): Decision {
  const error = err instanceof GatehouseError
    ? err
    : new GatehouseError('invalid_response', `gatehouse client: ${err instanceof Error ? err.message : String(err)}`, { attempts: 1, cause: err })
  return { allowed: false, reason: { code: `gatehouse_${error.kind}`, message: error.message }, error }
}
