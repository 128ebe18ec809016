/**
 * The administration use cases: tenants, keys, the policy bundle, subjects and stored
 * resources. Each validates against the tenant's current policy, writes through the
 * store (which bumps the revision and honours `ifRevision`), then updates the
 * in-memory state, so that the next decision sees the write without a query.
 */
import { checkSubject, checkSubjectChange, compileBundle, exportBundle, resourceFromProperties } from '../engine/index.js'
import type { Bundle, ResourceFacts, Subject } from '../engine/model.js'
import type { Issue } from '../engine/index.js'
import type { ActorMode, ApiKey, KeyScope, Store, Tenant, WriteOptions } from '../store/store.js'
import { ServiceError, validationFailed } from './errors.js'
import type { ErrorDetail } from './errors.js'
import type { KeyRing } from './keys.js'
import { mintKey } from './keys.js'
import type { ResourceCache } from './resource-cache.js'
import type { SearchFactsCache } from './search-facts-cache.js'
import type { TenantState, TenantStates } from './tenant-state.js'
import { applySubjectWrite, findSubject, indexSubject, unindexSubject } from './tenant-state.js'
import { shippedTemplates, templateList } from './templates.js'

interface AdminDeps {
  store: Store
  states: TenantStates
  resources: ResourceCache
  /** Forgets a module's search facts when this process writes one of its resources. */
  searchFacts: SearchFactsCache
  keyRing: KeyRing
}

/** A subject as written through the API: the stored shape without its id. */
export type SubjectBody = Omit<Subject, 'id' | 'roles'> & { id?: string, roles?: string[] }

/** A resource's properties (DESIGN.md §2): `project`, `parent`, `acl` and one entry per relation. */
export type ResourceProperties = Record<string, unknown>

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
  readonly #searchFacts: SearchFactsCache
  readonly #keyRing: KeyRing

  constructor (deps: AdminDeps) {
    this.#store = deps.store
    this.#states = deps.states
    this.#resources = deps.resources
    this.#searchFacts = deps.searchFacts
    this.#keyRing = deps.keyRing
  }

  /** Creates the tenant (revision 1) or renames it. */
  async putTenant (tenantId: string, data: { name?: string }, opts: WriteOptions = {}): Promise<{ tenant: Tenant, created: boolean }> {
    const written = await this.#store.putTenant(tenantId, { name: data.name ?? tenantId }, opts)
    this.#states.afterWrite(tenantId, written.revision)
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
    this.#states.afterWrite(tenantId, written.revision)
    this.#keyRing.remember({ id: keyId, tenantId, secretHash, scopes: unique, actor, createdAt: new Date(), revokedAt: null })
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
    this.#keyRing.forget(keyId)
    this.#states.afterWrite(tenantId, written.revision)
    const key = (await this.#store.listKeys(tenantId)).find(k => k.id === keyId)
    if (key === undefined) throw new ServiceError('not_found', `tenant \`${tenantId}\` has no key \`${keyId}\``)
    return { key: keyView(key), revision: written.revision }
  }

  /**
   * Replaces the tenant's policy. An invalid bundle is refused with every issue
   * (ServiceError `policy_invalid`) and the previous policy keeps answering.
   */
  async putPolicy (tenantId: string, input: unknown, opts: WriteOptions = {}): Promise<{ revision: number }> {
    await this.#states.get(tenantId)
    const compiled = compileBundle(input)
    if (!compiled.ok) {
      const n = compiled.issues.length
      throw new ServiceError('policy_invalid', `the policy bundle has ${n} ${n === 1 ? 'problem' : 'problems'}: ${compiled.issues[0]?.message ?? ''}`, issueDetails(compiled.issues, ''))
    }
    const written = await this.#store.putPolicy(tenantId, input as Bundle, opts)
    this.#states.afterWrite(tenantId, written.revision, state => {
      if (written.revision > state.policyRevision) {
        state.policy = compiled.policy
        state.policyRevision = written.revision
      }
    })
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
    guardSubjectChange(state, state.subjectsById.get(id), subject, opts)
    const written = await this.#store.putSubject(tenantId, subject, opts)
    this.#states.afterWrite(tenantId, written.revision, s => { applySubjectWrite(s, id, subject, written.revision) })
    return { subject, created: written.created, revision: written.revision }
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
    this.#states.afterWrite(tenantId, written.revision, s => {
      const { owner: _was, ...former } = owner
      for (const subject of [former, { ...target, owner: true }]) {
        unindexSubject(s, subject.id)
        indexSubject(s, subject)
        s.subjectRevisions.set(subject.id, written.revision)
      }
    })
    return { revision: written.revision }
  }

  /** Throws NotFoundError when there is no such subject. */
  async deleteSubject (tenantId: string, id: string, opts: WriteOptions = {}): Promise<{ revision: number }> {
    const state = await this.#states.get(tenantId)
    const before = state.subjectsById.get(id)
    if (before !== undefined) guardSubjectChange(state, before, undefined, opts)
    const written = await this.#store.deleteSubject(tenantId, id, opts)
    this.#states.afterWrite(tenantId, written.revision, s => { applySubjectWrite(s, id, undefined, written.revision) })
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
    this.#states.afterWrite(tenantId, written.revision)
    this.#resources.written(tenantId, module, id, converted.resource, written.revision)
    this.#searchFacts.forget(tenantId, module)
    return { resource: resourceView(converted.resource), created: written.created, revision: written.revision }
  }

  /** Throws ServiceError `not_found` when no resource is stored under that module and id. */
  async getResource (tenantId: string, module: string, id: string): Promise<{ resource: ResourceView, revision: number }> {
    const state = await this.#states.get(tenantId)
    const facts = await this.#resources.get(tenantId, module, id)
    if (facts === undefined) throw new ServiceError('not_found', `resource \`${module}/${id}\` not found`)
    return { resource: resourceView(facts), revision: state.revision }
  }

  /** Throws NotFoundError when no resource is stored under that module and id. */
  async deleteResource (tenantId: string, module: string, id: string, opts: WriteOptions = {}): Promise<{ revision: number }> {
    await this.#states.get(tenantId)
    const written = await this.#store.deleteResource(tenantId, module, id, opts)
    this.#states.afterWrite(tenantId, written.revision)
    this.#resources.written(tenantId, module, id, null, written.revision)
    this.#searchFacts.forget(tenantId, module)
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
 * Refuses (ServiceError `forbidden`, naming the rule) a subject change that breaks the
 * owner's rules or, when the write names an acting user, the tenant's own rules for
 * changing users (src/engine/actor.ts, docs/admin-rules.md).
 */
export function guardSubjectChange (state: TenantState, before: Subject | undefined, after: Subject | undefined, opts: WriteOptions): void {
  const owners = [...state.subjectsById.values()].filter(s => s.owner === true).map(s => s.id)
  const actorId = opts.by?.actor
  const refusal = checkSubjectChange(state.policy, {
    before,
    after,
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

export function issueDetails (issues: readonly Issue[], prefix: string): ErrorDetail[] {
  return issues.map(i => ({ in: 'body', path: `${prefix}${i.path}`, message: i.message, code: i.code }))
}

/** A resource in the shape it is written: `properties` as in DESIGN.md §2. */
export function resourceView (facts: ResourceFacts): ResourceView {
  const properties: ResourceProperties = {}
  if (facts.project !== undefined) properties.project = facts.project
  if (facts.parent !== undefined) properties.parent = facts.parent
  for (const [relation, values] of Object.entries(facts.relations)) properties[relation] = values
  if (facts.acl !== undefined) properties.acl = facts.acl
  return { type: facts.module, id: facts.id, properties }
}
