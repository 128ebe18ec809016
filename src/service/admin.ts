/**
 * The administration use cases: tenants, keys, the policy bundle, subjects and stored
 * resources. Each validates against the tenant's current policy, writes through the
 * store (which bumps the revision and honours `ifRevision`), then applies the audit
 * entry the write returned (`TenantStates.apply`, src/service/apply.ts) to the in-memory
 * state and caches, so that the next decision sees the write without a query.
 */
import { isDeepStrictEqual } from 'node:util'
import { checkSubject, checkSubjectChange, exportBundle, resourceFromProperties } from '../engine/index.js'
import type { Bundle, ResourceFacts, Subject } from '../engine/model.js'
import { refuseOversizedBundle } from './bundle-text.js'
import type { Issue, SubjectWrite } from '../engine/index.js'
import type { ActorMode, ApiKey, KeyScope, Store, Tenant, WriteOptions, Written } from '../store/store.js'
import { conditionalEdit } from './conditional-edit.js'
import { ServiceError, problemsMessage, validationFailed } from './errors.js'
import type { ErrorDetail } from './errors.js'
import { mintKey } from './keys.js'
import { issuePosition } from './policy-tests/index.js'
import { parseSourceOffLoop } from './yaml-parse.js'
import type { ResourceCache } from './resource-cache.js'
import type { TenantState, TenantStates } from './tenant-state.js'
import { findSubject } from './tenant-state.js'
import { shippedTemplates, templateList } from './templates.js'

interface AdminDeps {
  store: Store
  states: TenantStates
  resources: ResourceCache
}

/** A subject as written through the API: the stored shape without its id. */
export type SubjectBody = Omit<Subject, 'id' | 'roles'> & { id?: string, roles?: string[] }

/** A resource's properties (DESIGN.md §2): `project`, `parent`, `acl` and one entry per relation. */
export type ResourceProperties = Record<string, unknown>

/** The page size of `listResources` when the caller names none. */
export const DEFAULT_RESOURCE_PAGE = 100

export interface ResourcePage {
  resources: ResourceView[]
  /** The id to pass as `after` for the next page; `''` on the last page. */
  next: string
  revision: number
}

export interface ResourceView {
  type: string
  id: string
  properties: ResourceProperties
}

/** A key as listed: what it may do and whether it still works, never its secret. */
export interface KeyView {
  id: string
  scopes: KeyScope[]
  actor: ActorMode
  createdAt: string
  revokedAt: string | null
}

function keyView (key: ApiKey): KeyView {
  return { id: key.id, scopes: key.scopes, actor: key.actor, createdAt: key.createdAt.toISOString(), revokedAt: key.revokedAt === null ? null : key.revokedAt.toISOString() }
}

export interface CreatedKey {
  id: string
  tenant: string
  scopes: KeyScope[]
  actor: ActorMode
  /** The bearer token `gh_<id>_<secret>`; shown once, only its hash is stored. */
  secret: string
  revision: number
}

export class AdminService {
  readonly #store: Store
  readonly #states: TenantStates
  readonly #resources: ResourceCache

  constructor (deps: AdminDeps) {
    this.#store = deps.store
    this.#states = deps.states
    this.#resources = deps.resources
  }

  /** Creates the tenant (revision 1) or renames it. */
  async putTenant (tenantId: string, data: { name?: string }, opts: WriteOptions = {}): Promise<{ tenant: Tenant, created: boolean }> {
    const written = await this.#store.putTenant(tenantId, { name: data.name ?? tenantId }, opts)
    this.#states.apply(tenantId, written.entry)
    const tenant = await this.#store.getTenant(tenantId)
    if (tenant === undefined) throw new ServiceError('tenant_not_found', `tenant \`${tenantId}\` not found`)
    return { tenant, created: written.created }
  }

  /** Throws ServiceError `tenant_not_found`. */
  async getTenant (tenantId: string): Promise<Tenant> {
    const tenant = await this.#store.getTenant(tenantId)
    if (tenant === undefined) throw new ServiceError('tenant_not_found', `tenant \`${tenantId}\` not found`)
    return tenant
  }

  /**
   * Mints a key bound to the tenant. `ifRevision` is checked against the tenant's
   * current revision just before the write (the store's key writer takes no revision).
   */
  async createKey (tenantId: string, scopes: KeyScope[], opts: WriteOptions & { actor?: ActorMode } = {}): Promise<CreatedKey> {
    const tenant = await this.getTenant(tenantId)
    if (opts.ifRevision !== undefined && opts.ifRevision !== tenant.revision) {
      throw new ServiceError('revision_mismatch', `tenant \`${tenantId}\` is at revision ${tenant.revision}, not ${opts.ifRevision}`)
    }
    const unique = [...new Set(scopes)]
    const { keyId, token, secretHash } = mintKey()
    const actor = opts.actor ?? 'optional'
    const written = await this.#store.createKey({ id: keyId, tenantId, secretHash, scopes: unique, actor }, opts)
    this.#states.apply(tenantId, written.entry)
    return { id: keyId, tenant: tenantId, scopes: unique, actor, secret: token, revision: written.revision }
  }

  /** The tenant's keys, revoked ones included, oldest first; never a secret or a hash. */
  async listKeys (tenantId: string): Promise<{ keys: KeyView[], revision: number }> {
    const tenant = await this.getTenant(tenantId)
    // The store orders by creation time to the microsecond; a `Date` keeps milliseconds,
    // so keys created in one millisecond cannot be ordered here.
    const keys = await this.#store.listKeys(tenantId)
    return { keys: keys.map(keyView), revision: tenant.revision }
  }

  /**
   * Revokes a key of the tenant: it stops authenticating on this process at once (and on
   * others once they reread it). Revoking a revoked key keeps its first `revokedAt`.
   * Throws ServiceError `not_found` when the tenant has no such key.
   */
  async revokeKey (tenantId: string, keyId: string, opts: WriteOptions = {}): Promise<{ key: KeyView, revision: number }> {
    await this.#states.get(tenantId)
    // NotFoundError (`key`) for a key of another tenant too: a tenant learns nothing of others' keys.
    const written = await this.#store.revokeKey(tenantId, keyId, opts)
    this.#states.apply(tenantId, written.entry)
    const key = (await this.#store.listKeys(tenantId)).find(k => k.id === keyId)
    if (key === undefined) throw new ServiceError('not_found', `tenant \`${tenantId}\` has no key \`${keyId}\``)
    return { key: keyView(key), revision: written.revision }
  }

  /**
   * Replaces the tenant's policy. An invalid bundle is refused with every issue
   * (ServiceError `policy_invalid`) and the previous policy keeps answering.
   */
  async putPolicy (tenantId: string, input: unknown, opts: WriteOptions = {}, text?: string): Promise<{ revision: number }> {
    await this.#states.get(tenantId)
    refuseOversizedBundle(input, '', 'the policy bundle')
    const compiled = await this.#states.workers.compile(input)
    if (!compiled.ok) {
      const details = await placedDetails(compiled.issues, text)
      throw new ServiceError('policy_invalid', problemsMessage('the policy bundle', details), details)
    }
    const written = await this.#store.putPolicy(tenantId, input as Bundle, opts)
    this.#states.apply(tenantId, written.entry, { policy: compiled.policy })
    return { revision: written.revision }
  }

  /** The tenant's policy as a bundle. Throws ServiceError `no_policy` when there is none yet. */
  async getPolicy (tenantId: string): Promise<{ bundle: Bundle, revision: number }> {
    const state = await this.#states.get(tenantId)
    const policy = requirePolicy(state)
    return { bundle: exportBundle(policy), revision: state.revision }
  }

  /**
   * Creates or replaces a subject. Checked against the current policy when there is one
   * (unknown roles, flags, modules, actions → `validation_failed`); an alias already
   * used by another subject → ConflictError.
   */
  async putSubject (tenantId: string, id: string, body: SubjectBody, opts: WriteOptions = {}): Promise<{ subject: Subject, created: boolean, revision: number }> {
    const state = await this.#states.get(tenantId)
    const subject = checkedSubject(state, id, body, state.subjectsById.get(id), opts)
    const written = await this.#store.putSubject(tenantId, subject, opts)
    this.#states.apply(tenantId, written.entry)
    return { subject, created: written.created, revision: written.revision }
  }

  /**
   * Rewrites a stored subject with `change`, checked as `putSubject` checks a subject,
   * under the tenant's lock (src/service/conditional-edit.ts): concurrent edits queue, a
   * stale `If-Match` is a 412, and a change that changes nothing writes nothing.
   * ServiceError `not_found` for an unknown subject.
   */
  async editSubject (tenantId: string, id: string, opts: WriteOptions, change: (subject: Subject) => Subject): Promise<{ revision: number }> {
    const state = await this.#states.get(tenantId)
    const { by } = opts
    const done = await conditionalEdit<{ revision: number, written?: Written }>(this.#store, tenantId, opts.ifRevision, async (tx, revision) => {
      const stored = await tx.getSubject(tenantId, id)
      if (stored === undefined) throw new ServiceError('not_found', `subject \`${id}\` not found`)
      const changed = change(stored)
      // A write that changes nothing writes nothing: no revision, no audit entry.
      if (isDeepStrictEqual(changed, stored)) return { revision }
      const subject = checkedSubject(state, id, changed, stored, opts)
      const written = await tx.putSubject(tenantId, subject, by === undefined ? {} : { by })
      return { revision: written.revision, written }
    })
    if (done.written !== undefined) this.#states.apply(tenantId, done.written.entry)
    return { revision: done.revision }
  }

  /** Throws ServiceError `not_found` when the tenant has no subject with that id (aliases do not count). */
  async getSubject (tenantId: string, id: string): Promise<{ subject: Subject, revision: number }> {
    const state = await this.#states.get(tenantId)
    const subject = state.subjectsById.get(id)
    if (subject === undefined) throw new ServiceError('not_found', `subject \`${id}\` not found`)
    return { subject, revision: state.revision }
  }

  /**
   * Moves ownership to subject `to`, in one write. Only the owner may do it, naming itself
   * as the acting user (`opts.by.actor`); the new owner must be an active subject.
   * ServiceError `forbidden` otherwise, `not_found` for an unknown subject.
   */
  async transferOwnership (tenantId: string, to: string, opts: WriteOptions = {}): Promise<{ revision: number }> {
    const state = await this.#states.get(tenantId)
    const owner = [...state.subjectsById.values()].find(s => s.owner === true)
    const actor = opts.by?.actor
    if (owner === undefined || actor === undefined || findSubject(state, actor)?.id !== owner.id) {
      throw new ServiceError('forbidden', 'ownership moves only by a transfer done by the owner: send `Gatehouse-Actor` naming the current owner', [
        { in: 'headers', path: '/gatehouse-actor', message: 'must name the current owner', code: 'owner_transfer_required' }
      ])
    }
    const target = state.subjectsById.get(to)
    if (target === undefined) throw new ServiceError('not_found', `subject \`${to}\` not found`)
    if (target.status === 'inactive' || target.login === false) {
      throw new ServiceError('forbidden', `\`${to}\` cannot become the owner: it is inactive or cannot log in`, [{ in: 'params', path: '/id', message: 'cannot act', code: 'owner_inactive' }])
    }
    if (target.id === owner.id) return { revision: state.revision }
    const written = await this.#store.transferOwnership(tenantId, owner.id, to, opts)
    this.#states.apply(tenantId, written.entry)
    return { revision: written.revision }
  }

  /** Throws NotFoundError when there is no such subject. */
  async deleteSubject (tenantId: string, id: string, opts: WriteOptions = {}): Promise<{ revision: number }> {
    const state = await this.#states.get(tenantId)
    const before = state.subjectsById.get(id)
    if (before !== undefined) guardSubjectChange(state, { before, after: undefined }, opts)
    const written = await this.#store.deleteSubject(tenantId, id, opts)
    this.#states.apply(tenantId, written.entry)
    return { revision: written.revision }
  }

  /**
   * Stores a resource's properties, checked strictly against the module of the current
   * policy (unknown module or relation, ill-typed values → `validation_failed`).
   * Throws ServiceError `no_policy` before the tenant has a policy.
   */
  async putResource (tenantId: string, module: string, id: string, properties: ResourceProperties, opts: WriteOptions = {}): Promise<{ resource: ResourceView, created: boolean, revision: number }> {
    const state = await this.#states.get(tenantId)
    const policy = requirePolicy(state)
    const converted = resourceFromProperties(policy, module, id, properties, { strict: true })
    if (!converted.ok) {
      throw validationFailed(`invalid resource properties: ${converted.issues[0]?.message ?? ''}`, issueDetails(converted.issues, ''))
    }
    const written = await this.#store.putResource(tenantId, converted.resource, opts)
    this.#states.apply(tenantId, written.entry)
    return { resource: resourceView(converted.resource), created: written.created, revision: written.revision }
  }

  /** Throws ServiceError `not_found` when no resource is stored under that module and id. */
  async getResource (tenantId: string, module: string, id: string): Promise<{ resource: ResourceView, revision: number }> {
    const state = await this.#states.get(tenantId)
    const facts = await this.#resources.get(tenantId, module, id)
    if (facts === undefined) throw new ServiceError('not_found', `resource \`${module}/${id}\` not found`)
    return { resource: resourceView(facts), revision: state.revision }
  }

  /**
   * One page of the module's stored resources, by id in the store's order (ascending, the
   * database's collation), each as `getResource` shows it. An unknown module has none
   * (`[]`), as `getResource` answers `not_found` rather than checking the module. A
   * resource deleted between the page and its read is left out, not an error.
   */
  async listResources (tenantId: string, module: string, page: { limit?: number, after?: string } = {}): Promise<ResourcePage> {
    const state = await this.#states.get(tenantId)
    const limit = page.limit ?? DEFAULT_RESOURCE_PAGE
    const ids = await this.#store.listResources(tenantId, module, { kind: 'always' }, page.after === undefined ? { limit } : { limit, after: page.after })
    // One query for the page: a page of 100 read through the resource cache was up to 100.
    const resources = (await this.#store.getResources(tenantId, module, ids.ids)).map(resourceView)
    return { resources, next: ids.hasMore ? (ids.ids[ids.ids.length - 1] ?? '') : '', revision: state.revision }
  }

  /** Throws NotFoundError when no resource is stored under that module and id. */
  async deleteResource (tenantId: string, module: string, id: string, opts: WriteOptions = {}): Promise<{ revision: number }> {
    await this.#states.get(tenantId)
    const written = await this.#store.deleteResource(tenantId, module, id, opts)
    this.#states.apply(tenantId, written.entry)
    return { revision: written.revision }
  }

  /**
   * Replaces the tenant's policy by a shipped template's bundle, exactly as `putPolicy`
   * with that bundle would (revision, `ifRevision`). An unknown name is a
   * `validation_failed` naming the query parameter `template`, with the names there are.
   */
  async putPolicyTemplate (tenantId: string, name: string, opts: WriteOptions = {}): Promise<{ revision: number }> {
    const template = shippedTemplates().get(name)
    if (template === undefined) {
      throw validationFailed(`unknown template \`${name}\`: expected one of ${templateList()}`, [
        { in: 'querystring', path: '/template', message: `must be one of ${templateList()}`, code: 'enum' }
      ])
    }
    return await this.putPolicy(tenantId, template.bundle, opts)
  }
}

/**
 * The subject `body` describes, checked against the tenant's current policy when there is
 * one (`validation_failed`) and against the rules for changing subjects (`forbidden`,
 * `guardSubjectChange`); `before` is the subject it replaces.
 */
function checkedSubject (state: TenantState, id: string, body: SubjectBody, before: Subject | undefined, opts: WriteOptions): Subject {
  if (body.id !== undefined && body.id !== id) {
    throw validationFailed(`body \`/id\` must equal the subject id of the path, \`${id}\``, [
      { in: 'body', path: '/id', message: `must equal \`${id}\``, code: 'const' }
    ])
  }
  const subject: Subject = { ...body, id, roles: body.roles ?? [] }
  if (state.policy !== undefined) {
    const issues = checkSubject(state.policy, subject)
    if (issues.length > 0) {
      throw validationFailed(`invalid subject: ${issues[0]?.message ?? ''}`, issueDetails(issues, ''))
    }
  }
  guardSubjectChange(state, { before, after: subject }, opts)
  return subject
}

/**
 * Refuses (ServiceError `forbidden`, naming the rule) a subject change that breaks the
 * owner's rules or, when the write names an acting user, the tenant's own rules for
 * changing users (src/engine/actor.ts, docs/admin-rules.md).
 */
export function guardSubjectChange (state: TenantState, write: SubjectWrite, opts: WriteOptions): void {
  const owners = [...state.subjectsById.values()].filter(s => s.owner === true).map(s => s.id)
  const actorId = opts.by?.actor
  const refusal = checkSubjectChange(state.policy, {
    ...write,
    owners,
    ...(actorId === undefined ? {} : { actor: { id: actorId, subject: findSubject(state, actorId) } })
  })
  if (refusal === undefined) return
  const inHeader = refusal.code.startsWith('actor_') || refusal.code === 'users_permission' || refusal.code === 'users_module_missing'
  throw new ServiceError('forbidden', refusal.message, [inHeader
    ? { in: 'headers', path: '/gatehouse-actor', message: refusal.message, code: refusal.code }
    : { in: 'body', path: refusal.code === 'protected_role' ? '/roles' : '/owner', message: refusal.message, code: refusal.code }])
}

export function requirePolicy (state: TenantState): NonNullable<TenantState['policy']> {
  if (state.policy === undefined) throw new ServiceError('no_policy', `tenant \`${state.tenantId}\` has no policy yet`)
  return state.policy
}

/**
 * The issues of a bundle as error details, each with its line and column when the bundle
 * was sent as a YAML `text` (read again, off the loop when large, only on this failure path).
 */
async function placedDetails (issues: readonly Issue[], text: string | undefined): Promise<ErrorDetail[]> {
  const details = issueDetails(issues, '')
  if (text === undefined) return details
  const parsed = await parseSourceOffLoop(text)
  // INVARIANT: the text parsed once already (into the bundle refused here).
  if (!parsed.ok) return details
  return details.map(detail => {
    const { line, column } = issuePosition(parsed.source.locate, detail.path, detail.code)
    return { ...detail, line, col: column }
  })
}

export function issueDetails (issues: readonly Issue[], prefix: string): ErrorDetail[] {
  return issues.map(i => ({ in: 'body', path: `${prefix}${i.path}`, message: i.message, code: i.code }))
}

/** A resource in the shape it is written: `properties` as in DESIGN.md §2. */
export function resourceView (facts: ResourceFacts): ResourceView {
  const properties: ResourceProperties = {}
  if (facts.project !== undefined) properties.project = facts.project
  if (facts.parent !== undefined) properties.parent = facts.parent
  for (const [relation, values] of Object.entries(facts.relations)) properties[relation] = values
  // Attributes sit beside relations, as the document was written (names never clash).
  for (const [attribute, value] of Object.entries(facts.attributes ?? {})) properties[attribute] = value
  if (facts.acl !== undefined) properties.acl = facts.acl
  return { type: facts.module, id: facts.id, properties }
}
