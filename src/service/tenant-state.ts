/**
 * What a decision needs of a tenant, held in memory: the revision, the compiled policy
 * (compiled when the policy changes, never per check) and every subject by id and by
 * alias. Loaded once per tenant, then changed in place by this process's own writes,
 * so that a warm decision never waits on the store.
 *
 * Writes made by another process are not seen until `refresh` (or `invalidate`) is
 * called for the tenant, which the change feed and the revision poll do.
 */
import { compileBundle, compileSubject } from '../engine/index.js'
import type { CompiledPolicy, CompiledSubject } from '../engine/index.js'
import type { Subject } from '../engine/model.js'
import type { AuditEntry, Store } from '../store/store.js'
import { ServiceError } from './errors.js'
import type { KeyRing } from './keys.js'
import { Lru } from './lru.js'
import type { ResourceCache } from './resource-cache.js'

/**
 * The audit entity types a replica catches up with in place: a subject written or
 * deleted (its entry carries the whole subject, as the writer applied it), and resources
 * and keys, which a state does not hold (the caches forget the ones named).
 */
const APPLIED_IN_PLACE: ReadonlySet<string> = new Set(['subject', 'resource', 'key'])

/** Most writes caught up with in place; a replica further behind reloads the tenant. */
const CATCH_UP_LIMIT = 500

/** A page of a tenant's audit log, as the store lists it. */
type AuditListing = Awaited<ReturnType<Store['listAudit']>>

/** `#catchUp`'s answer: caught up in place, or not, with the log it read (if it read it). */
type CatchUp = { caughtUp: true } | { caughtUp: false, listed: AuditListing | undefined }

export interface TenantState {
  readonly tenantId: string
  /** The tenant revision this state reflects: as loaded, then moved by this process's writes and by `refresh` catching up. */
  revision: number
  /** `undefined` until the tenant has a policy. */
  policy: CompiledPolicy | undefined
  /** The revision at which `policy` was written; a write only replaces an older one. */
  policyRevision: number
  readonly subjectsById: Map<string, Subject>
  readonly subjectsByAlias: Map<string, Subject>
  /** Per subject id, the revision of the last write applied (a put or a delete). */
  readonly subjectRevisions: Map<string, number>
  /** Per stored subject object (a write stores a new one), the subject compiled for a policy: see `findCompiledSubject`. */
  readonly compiledSubjects: WeakMap<Subject, CompiledSubject>
}

interface Entry {
  readonly promise: Promise<TenantState>
  state?: TenantState
}

export interface TenantStatesOptions {
  store: Store
  /** How many tenants to keep in memory. */
  maxTenants?: number
  /**
   * The caches that hold a tenant's data outside its state: a refresh that brings in
   * other processes' writes makes them forget what those writes changed (the resources
   * and keys the audit log names, whether the state is caught up in place or reloaded
   * whole; everything of the tenant when the log cannot name them all) before the state
   * reports the new revision, so that a decision at that revision never reads a resource
   * or key older than it.
   */
  caches?: { resources: ResourceCache, keys: KeyRing }
}

export class TenantStates {
  readonly #store: Store
  readonly #entries: Lru<string, Entry>
  readonly #caches: TenantStatesOptions['caches']
  readonly #refreshing = new Map<string, Promise<TenantState>>()

  constructor (opts: TenantStatesOptions) {
    this.#store = opts.store
    this.#caches = opts.caches
    this.#entries = new Lru(opts.maxTenants ?? 10_000)
  }

  /**
   * The state of a tenant, loading it on first use. Throws ServiceError
   * `tenant_not_found` when the tenant does not exist (which is not cached).
   */
  async get (tenantId: string): Promise<TenantState> {
    const existing = this.#entries.get(tenantId)
    if (existing?.state !== undefined) return existing.state
    if (existing !== undefined) return await existing.promise
    const entry: Entry = { promise: this.#load(tenantId) }
    this.#entries.set(tenantId, entry)
    try {
      entry.state = await entry.promise
      return entry.state
    } catch (err) {
      if (this.#entries.peek(tenantId) === entry) this.#entries.delete(tenantId)
      throw err
    }
  }

  /** The state of a tenant already in memory, without waiting: `undefined` when it is not (then `get`). */
  loadedState (tenantId: string): TenantState | undefined {
    return this.#entries.get(tenantId)?.state
  }

  /**
   * Applies a successful write of this process to the loaded state. A state still
   * loading may predate the write, so it is dropped instead and loaded again on next use.
   */
  afterWrite (tenantId: string, revision: number, apply?: (state: TenantState) => void): void {
    const entry = this.#entries.peek(tenantId)
    if (entry === undefined) return
    if (entry.state === undefined) {
      this.#entries.delete(tenantId)
      return
    }
    apply?.(entry.state)
    // The revision says that every write up to it is applied, so only the write right
    // after it moves it. One further ahead follows writes this process has not applied
    // yet (another replica's, or its own still landing): a catch-up brings them in, and
    // applies this one again, which changes nothing.
    if (revision === entry.state.revision + 1) entry.state.revision = revision
    else if (revision > entry.state.revision) this.refresh(tenantId).catch(() => {})
  }

  /**
   * Brings the tenant up to its stored revision (another replica wrote): the writes since
   * are applied in place when they allow it (`#catchUp`), else the tenant is loaded again
   * from the store and the new state swapped in when it is newer, while decisions keep
   * answering from the current one. Calls for the same tenant share one refresh. A
   * tenant not in memory is left alone: its first use loads it fresh.
   */
  async refresh (tenantId: string): Promise<TenantState | undefined> {
    const state = this.#entries.peek(tenantId)?.state
    if (state === undefined) return undefined
    const pending = this.#refreshing.get(tenantId)
    if (pending !== undefined) return await pending
    const load = (async () => {
      try {
        const caught = await this.#catchUp(state)
        if (caught.caughtUp) return state
        const fresh = await this.#load(tenantId)
        await this.#forgetWrittenSince(tenantId, state.revision, fresh.revision, caught.listed)
        const current = this.#entries.peek(tenantId)
        if (current?.state === undefined) return fresh
        if (fresh.revision > current.state.revision) {
          this.#entries.set(tenantId, { promise: Promise.resolve(fresh), state: fresh })
          return fresh
        }
        return current.state
      } catch (err) {
        // A tenant deleted elsewhere, or the store down: forget it, so that the next use
        // reports the truth instead of a stale state.
        if (err instanceof ServiceError && err.code === 'tenant_not_found') this.#entries.delete(tenantId)
        throw err
      } finally {
        this.#refreshing.delete(tenantId)
      }
    })()
    this.#refreshing.set(tenantId, load)
    return await load
  }

  /** The tenants in memory with the revision each reflects. */
  loaded (): Array<{ tenantId: string, revision: number }> {
    const out: Array<{ tenantId: string, revision: number }> = []
    for (const [tenantId, entry] of this.#entries.entries()) {
      if (entry.state !== undefined) out.push({ tenantId, revision: entry.state.revision })
    }
    return out
  }

  /** The revision the in-memory state of a tenant reflects; `undefined` when not loaded. */
  revisionOf (tenantId: string): number | undefined {
    return this.#entries.peek(tenantId)?.state?.revision
  }

  /** Forgets a tenant; the next use loads it again from the store. */
  invalidate (tenantId: string): void {
    this.#entries.delete(tenantId)
  }

  /** Forgets every tenant (after a lost notification channel, for instance). */
  invalidateAll (): void {
    this.#entries.clear()
  }

  /**
   * Brings a loaded state up to the stored revision by applying, in place, the writes made
   * since (read from the audit log, where every write leaves one entry with the revision
   * it produced), instead of reloading every subject. Only when each revision in between
   * has its entry and each is of a kind that changes no more than one subject (or nothing
   * a state holds); anything else (a policy change, a group, an ownership transfer, a gap,
   * too many entries) answers not caught up, with the audit entries it read, and the caller
   * reloads the tenant whole.
   */
  async #catchUp (state: TenantState): Promise<CatchUp> {
    const from = state.revision
    const stored = (await this.#store.getRevisions([state.tenantId])).get(state.tenantId)
    if (stored === undefined) return { caughtUp: false, listed: undefined }
    if (stored <= from) return { caughtUp: true }
    const listed = await this.#store.listAudit(state.tenantId, { afterRevision: from, limit: CATCH_UP_LIMIT })
    const { entries, hasMore } = listed
    if (hasMore) return { caughtUp: false, listed }
    let reached = from
    for (const entry of entries) {
      if (entry.revision !== reached + 1 || !APPLIED_IN_PLACE.has(entry.entityType)) return { caughtUp: false, listed }
      reached = entry.revision
    }
    if (reached < stored) return { caughtUp: false, listed }
    for (const entry of entries) {
      if (entry.entityType === 'subject') applySubjectWrite(state, entry.entityId, (entry.after ?? undefined) as Subject | undefined, entry.revision)
      else this.#forgetNamed(state.tenantId, entry)
    }
    state.revision = Math.max(state.revision, reached)
    return { caughtUp: true }
  }

  /**
   * Before a state reloaded whole at revision `to` replaces one at `from`: the caches
   * forget the resources and keys written in between, as the audit log names them (a
   * policy, subject or group write changes neither). When the log cannot list every
   * revision in between at once, they forget all of the tenant's. `listed`: the log after
   * `from` as the failed catch-up read it, listed again only when writes came after it.
   */
  async #forgetWrittenSince (tenantId: string, from: number, to: number, listed: AuditListing | undefined): Promise<void> {
    if (this.#caches === undefined || to <= from) return
    const current = listed !== undefined && (listed.hasMore || (listed.entries.at(-1)?.revision ?? from) >= to)
    const { entries, hasMore } = current ? listed : await this.#store.listAudit(tenantId, { afterRevision: from, limit: CATCH_UP_LIMIT })
    const complete = !hasMore && entries.every((entry, i) => entry.revision === from + 1 + i) && (entries.at(-1)?.revision ?? from) >= to
    if (!complete) {
      this.#caches.resources.invalidateTenant(tenantId)
      this.#caches.keys.forgetTenant(tenantId)
      return
    }
    for (const entry of entries) this.#forgetNamed(tenantId, entry)
  }

  /** The caches forget the resource or key an audit entry names, if it names one. */
  #forgetNamed (tenantId: string, entry: AuditEntry): void {
    if (entry.entityType === 'key') this.#caches?.keys.forget(entry.entityId)
    else if (entry.entityType === 'resource') {
      // `module/id`: module names have no `/`, ids may.
      const slash = entry.entityId.indexOf('/')
      this.#caches?.resources.forget(tenantId, entry.entityId.slice(0, slash), entry.entityId.slice(slash + 1))
    }
  }

  async #load (tenantId: string): Promise<TenantState> {
    const tenant = await this.#store.getTenant(tenantId)
    if (tenant === undefined) throw new ServiceError('tenant_not_found', `tenant \`${tenantId}\` not found`)
    const [stored, subjects] = await Promise.all([
      this.#store.getPolicy(tenantId),
      this.#store.listSubjects(tenantId)
    ])
    const state: TenantState = {
      tenantId,
      revision: tenant.revision,
      policy: undefined,
      policyRevision: 0,
      subjectsById: new Map(),
      subjectsByAlias: new Map(),
      subjectRevisions: new Map(),
      compiledSubjects: new WeakMap()
    }
    if (stored !== undefined) {
      const compiled = compileBundle(stored.bundle)
      // INVARIANT: only bundles that compiled are stored; a stored one that no longer
      // compiles is a bug (or an engine change), never a reason to answer from no policy.
      if (!compiled.ok) {
        throw new Error(`stored policy of tenant \`${tenantId}\` does not compile: ${compiled.issues.map(i => `${i.path} ${i.message}`).join('; ')}`)
      }
      state.policy = compiled.policy
      state.policyRevision = stored.revision
    }
    for (const subject of subjects) indexSubject(state, subject)
    return state
  }
}

/** Adds a subject to the maps by id and alias. */
export function indexSubject (state: TenantState, subject: Subject): void {
  state.subjectsById.set(subject.id, subject)
  for (const alias of subject.aliases ?? []) state.subjectsByAlias.set(alias, subject)
}

/** Removes a subject (by id) and the aliases it held. */
export function unindexSubject (state: TenantState, id: string): void {
  const previous = state.subjectsById.get(id)
  if (previous === undefined) return
  state.subjectsById.delete(id)
  for (const alias of previous.aliases ?? []) {
    if (state.subjectsByAlias.get(alias) === previous) state.subjectsByAlias.delete(alias)
  }
}

/**
 * Applies a write of subject `id` made at `revision` (`undefined`: a delete), unless the
 * state already holds a newer write of it: this process's own writes and the writes a
 * catch-up reads may arrive in either order.
 */
export function applySubjectWrite (state: TenantState, id: string, subject: Subject | undefined, revision: number): void {
  if ((state.subjectRevisions.get(id) ?? 0) > revision) return
  unindexSubject(state, id)
  if (subject !== undefined) indexSubject(state, subject)
  state.subjectRevisions.set(id, revision)
}

/** The subject a request names: by id first, then by alias. */
export function findSubject (state: TenantState, idOrAlias: string): Subject | undefined {
  return state.subjectsById.get(idOrAlias) ?? state.subjectsByAlias.get(idOrAlias)
}

/**
 * The subject a request names (as `findSubject`), compiled for `policy`. Cached per
 * stored subject object, so that a write, which stores a new object, drops it; and used
 * only when compiled for this very policy object, so that a policy change never decides
 * with a stale one.
 */
export function findCompiledSubject (state: TenantState, policy: CompiledPolicy, idOrAlias: string): CompiledSubject | undefined {
  const subject = findSubject(state, idOrAlias)
  if (subject === undefined) return undefined
  const known = state.compiledSubjects.get(subject)
  if (known !== undefined && known.policy === policy) return known
  const compiled = compileSubject(policy, subject)
  state.compiledSubjects.set(subject, compiled)
  return compiled
}
