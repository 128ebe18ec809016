/**
 * What a decision needs of a tenant, held in memory: the revision, the compiled policy
 * (compiled when the policy changes, never per check) and every subject by id and by
 * alias. Loaded once per tenant, then changed in place by every write's audit entry
 * (src/service/apply.ts), so that a warm decision never waits on the store: this
 * process's writes through `apply`, other processes' through `refresh`, which the
 * change feed and the revision poll call, reading their entries from the audit log.
 */
import { compileSubject } from '../engine/index.js'
import type { CompiledPolicy, CompiledSubject } from '../engine/index.js'
import type { Subject } from '../engine/model.js'
import type { AuditEntry, Store } from '../store/store.js'
import { applyToCaches, applyToState, appliesInPlace, forgetTenant } from './apply.js'
import type { Caches, Known } from './apply.js'
import type { Background } from './background.js'
import { ServiceError } from './errors.js'
import { Lru } from './lru.js'
import { PolicyWorkers } from './policy-workers.js'
import { cacheCounts } from './tallies.js'

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
   * The caches that hold a tenant's data outside its state: every write applied, this
   * process's or (on refresh) another's, is applied to them too (`applyToCaches`; all of
   * the tenant's are forgotten when the log cannot name every write), before the state
   * reports the new revision, so that a decision at that revision never reads a resource
   * or key older than it.
   */
  caches?: Caches
  /** Told of every refresh that fails and of the state being current again (src/service/background.ts). */
  background?: Background
  /** Where bundles are compiled, off the event loop when large (default: threads of its own, started on first use). */
  workers?: PolicyWorkers
}

export class TenantStates {
  readonly #store: Store
  readonly #entries: Lru<string, Entry>
  readonly #caches: Caches | undefined
  readonly #refreshing = new Map<string, Promise<TenantState>>()
  readonly #background: Background | undefined
  /** Uses of a tenant's state: in memory (hits), or loaded from the store (misses). */
  readonly counts = cacheCounts()
  /** Compiles bundles for every service that holds this (imports, part edits, diffs, suites, loads). */
  readonly workers: PolicyWorkers

  constructor (opts: TenantStatesOptions) {
    this.#store = opts.store
    this.#caches = opts.caches
    this.#background = opts.background
    this.workers = opts.workers ?? new PolicyWorkers()
    // An evicted state answers nothing any more, stale or not.
    this.#entries = new Lru(opts.maxTenants ?? 10_000, tenantId => { this.#background?.refreshed(tenantId) })
  }

  /**
   * The state of a tenant, loading it on first use. Throws ServiceError
   * `tenant_not_found` when the tenant does not exist (which is not cached).
   */
  async get (tenantId: string): Promise<TenantState> {
    const existing = this.#entries.get(tenantId)
    if (existing?.state !== undefined) {
      this.counts.hits++
      return existing.state
    }
    // A load under way counts once, as the miss of the request that started it.
    if (existing !== undefined) return await existing.promise
    this.counts.misses++
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
    const state = this.#entries.get(tenantId)?.state
    // Not counted when absent: the caller then asks `get`, which counts the miss.
    if (state !== undefined) this.counts.hits++
    return state
  }

  /**
   * Applies a successful write of this process, by the audit entry it returned: to the
   * caches, then to the loaded state (`known`: what the writer holds, src/service/apply.ts).
   * A state still loading may predate the write, so it is dropped instead and loaded
   * again on next use; a write the state cannot apply in place makes it refresh.
   */
  apply (tenantId: string, entry: AuditEntry, known?: Known): void {
    applyToCaches(this.#caches, tenantId, entry)
    const held = this.#entries.peek(tenantId)
    if (held === undefined) return
    if (held.state === undefined) {
      this.#entries.delete(tenantId)
      return
    }
    const state = held.state
    const applied = applyToState(state, entry, known)
    // The revision says that every write up to it is applied, so only the write right
    // after it moves it. One further ahead follows writes this process has not applied
    // yet (another replica's, or its own still landing): a catch-up brings them in, and
    // applies this one again, which changes nothing.
    if (applied && entry.revision === state.revision + 1) state.revision = entry.revision
    else if (entry.revision > state.revision) this.refreshInBackground(tenantId)
  }

  /**
   * A refresh nobody waits for (the change feed's, the poll's, a write's that found the
   * state behind). Its failure is not lost: `refresh` reports every failure to the
   * background monitor (logged, counted, and `/readyz` once it lasts).
   */
  refreshInBackground (tenantId: string): void {
    this.refresh(tenantId).catch(() => { /* reported by `refresh` */ })
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
        const refreshed = await this.#bringUpToDate(tenantId, state)
        this.#background?.refreshed(tenantId)
        return refreshed
      } catch (err) {
        if (err instanceof ServiceError && err.code === 'tenant_not_found') {
          // A tenant deleted elsewhere: forget it, so that the next use reports the truth.
          this.#entries.delete(tenantId)
          this.#background?.refreshed(tenantId)
        } else {
          // The store down, or a bug: the state keeps answering as it is, now known stale.
          this.#background?.refreshFailed(tenantId, err)
        }
        throw err
      } finally {
        this.#refreshing.delete(tenantId)
      }
    })()
    this.#refreshing.set(tenantId, load)
    return await load
  }

  async #bringUpToDate (tenantId: string, state: TenantState): Promise<TenantState> {
    const caught = await this.#catchUp(state)
    if (caught.caughtUp) return state
    const fresh = await this.#load(tenantId)
    await this.#forgetWrittenSince(tenantId, state.revision, fresh.revision, caught.listed)
    const current = this.#entries.peek(tenantId)
    if (current?.state === undefined) return fresh
    if (fresh.revision > current.state.revision) {
      this.#entries.set(tenantId, { promise: Promise.resolve(fresh), state: fresh })
      for (const entry of caught.listed?.entries ?? []) {
        if (entry.revision > current.state.revision && entry.revision <= fresh.revision) this.#background?.applied(entry.at)
      }
      return fresh
    }
    return current.state
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
    this.#background?.refreshed(tenantId)
  }

  /** Forgets every tenant (after a lost notification channel, for instance). */
  invalidateAll (): void {
    this.#entries.clear()
    this.#background?.allDropped()
  }

  /**
   * Brings a loaded state up to the stored revision by applying, in place, the writes made
   * since (read from the audit log, where every write leaves one entry with the revision
   * it produced), instead of reloading every subject: the same `applyToState` and
   * `applyToCaches` as this process's own writes. Only when each revision in between has
   * its entry and each applies in place (`appliesInPlace`); anything else (a policy
   * change, a gap, too many entries) answers not caught up, with the audit entries it
   * read, and the caller reloads the tenant whole.
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
      if (entry.revision !== reached + 1 || !appliesInPlace(entry)) return { caughtUp: false, listed }
      reached = entry.revision
    }
    if (reached < stored) return { caughtUp: false, listed }
    for (const entry of entries) {
      applyToCaches(this.#caches, state.tenantId, entry)
      // In revision order, each after the ones before it, as `apply` does. One that cannot
      // (a transfer naming a subject the state lacks) leaves the rest to a reload, which
      // replaces what was applied so far.
      if (!applyToState(state, entry)) return { caughtUp: false, listed }
      state.revision = Math.max(state.revision, entry.revision)
      this.#background?.applied(entry.at)
    }
    return { caughtUp: true }
  }

  /**
   * Before a state reloaded whole at revision `to` replaces one at `from`: the caches
   * apply the writes in between, as the audit log lists them. When the log cannot list
   * every revision in between at once, they forget all of the tenant's. `listed`: the
   * log after `from` as the failed catch-up read it, listed again only when writes came
   * after it.
   */
  async #forgetWrittenSince (tenantId: string, from: number, to: number, listed: AuditListing | undefined): Promise<void> {
    if (this.#caches === undefined || to <= from) return
    const current = listed !== undefined && (listed.hasMore || (listed.entries.at(-1)?.revision ?? from) >= to)
    const { entries, hasMore } = current ? listed : await this.#store.listAudit(tenantId, { afterRevision: from, limit: CATCH_UP_LIMIT })
    const complete = !hasMore && entries.every((entry, i) => entry.revision === from + 1 + i) && (entries.at(-1)?.revision ?? from) >= to
    if (!complete) {
      forgetTenant(this.#caches, tenantId)
      return
    }
    for (const entry of entries) applyToCaches(this.#caches, tenantId, entry)
  }

  async #load (tenantId: string): Promise<TenantState> {
    const tenant = await this.#store.getTenant(tenantId)
    if (tenant === undefined) throw new ServiceError('tenant_not_found', `tenant \`${tenantId}\` not found`)
    const [stored, subjects] = await Promise.all([
      this.#store.getPolicy(tenantId),
      this.#store.listSubjects(tenantId)
    ])
    const state = emptyTenantState(tenantId, tenant.revision)
    if (stored !== undefined) {
      const compiled = await this.workers.compile(stored.bundle)
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

/** A state at `revision` with no policy and no subject, which loading then fills. */
export function emptyTenantState (tenantId: string, revision: number): TenantState {
  return {
    tenantId,
    revision,
    policy: undefined,
    policyRevision: 0,
    subjectsById: new Map(),
    subjectsByAlias: new Map(),
    subjectRevisions: new Map(),
    compiledSubjects: new WeakMap()
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
