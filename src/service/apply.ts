/**
 * The one road by which a write reaches what this process holds in memory. Every store
 * write returns the audit entry it appended (src/store/store.ts, `Written.entry`), and
 * another replica's writes are read back from the audit log as the same entries; both
 * are applied here, entry by entry, by an exhaustive switch over the entity types: a new
 * kind of write does not compile until it says what it changes here.
 *
 * Two halves, because a tenant's state is held per tenant and may be reloaded whole
 * instead (src/service/tenant-state.ts): `applyToCaches` (resources, keys, search facts:
 * shared by every tenant, applied for every write) and `applyToState` (the tenant's
 * compiled policy and subjects).
 */
import type { CompiledPolicy } from '../engine/index.js'
import type { Subject } from '../engine/model.js'
import type { AuditedEntity, AuditEntry } from '../store/store.js'
import type { KeyRing } from './keys.js'
import type { ResourceCache } from './resource-cache.js'
import type { SearchFactsCache } from './search-facts-cache.js'
import type { TenantState } from './tenant-state.js'
import { applySubjectWrite } from './tenant-state.js'

/** The caches that hold a tenant's data outside its state. */
export interface Caches {
  resources: ResourceCache
  keys: KeyRing
  /** Absent in states made without search (tests): nothing to forget then. */
  searchFacts?: SearchFactsCache
}

/**
 * What the writer of a write made in this process already holds, so that applying it
 * needs no read: the compiled policy of a policy write (compiled to validate it). An
 * entry applied without it (another replica's) changes the policy by a reload.
 */
export interface Known {
  policy?: CompiledPolicy
}

/**
 * Brings the shared caches up to date with one write of the tenant. They forget what the
 * write changed rather than hold its new value: a store read racing the forget is not
 * kept (src/service/resource-cache.ts), so nothing older than the write survives it.
 */
export function applyToCaches (caches: Caches | undefined, tenantId: string, entry: AuditEntry): void {
  if (caches === undefined) return
  const entity = entry.entity
  switch (entity.type) {
    case 'resource':
      caches.resources.forget(tenantId, entity.module, entity.id)
      caches.searchFacts?.forget(tenantId, entity.module)
      return
    case 'key':
      caches.keys.forget(entity.id)
      return
    case 'other':
      // A kind of write this version does not know: it may have changed anything.
      forgetTenant(caches, tenantId)
      return
    case 'tenant': case 'policy': case 'role': case 'module': case 'flag':
    case 'subject': case 'ownership': case 'group':
      // Nothing these caches hold: resources, keys and search facts are not read from them.
      return
    default:
      return unreachable(entity)
  }
}

/** Forgets every resource and key of a tenant (a write the log cannot name). */
export function forgetTenant (caches: Caches | undefined, tenantId: string): void {
  caches?.resources.invalidateTenant(tenantId)
  caches?.keys.forgetTenant(tenantId)
}

/**
 * Whether `applyToState` can apply the entry in place (else the state must be reloaded
 * from the store): a policy change needs its compiled policy, which only its writer holds.
 */
export function appliesInPlace (entry: AuditEntry, known?: Known): boolean {
  const type = entry.entity.type
  switch (type) {
    case 'policy': case 'role': case 'module': case 'flag': return known?.policy !== undefined
    case 'other': return false
    case 'tenant': case 'subject': case 'ownership': case 'group': case 'resource': case 'key': return true
    default: return unreachable(type)
  }
}

/**
 * Applies one write to a tenant's loaded state, in place. Returns false, changing
 * nothing, when it cannot (`appliesInPlace`, or an ownership transfer applied before the
 * writes preceding it): the caller reloads the state. Each change goes through the same
 * per-part revision guards (`policyRevision`, `applySubjectWrite`), so that a write
 * applied twice or after a newer one changes nothing. The state's revision is the
 * caller's to move.
 */
export function applyToState (state: TenantState, entry: AuditEntry, known?: Known): boolean {
  if (!appliesInPlace(entry, known)) return false
  const entity = entry.entity
  switch (entity.type) {
    case 'policy': case 'role': case 'module': case 'flag':
      if (known?.policy !== undefined && entry.revision > state.policyRevision) {
        state.policy = known.policy
        state.policyRevision = entry.revision
      }
      return true
    case 'subject':
      // The entry carries the whole subject as written (`null` after a delete).
      applySubjectWrite(state, entity.id, (entry.after ?? undefined) as Subject | undefined, entry.revision)
      return true
    case 'ownership': {
      // A transfer changes one flag of two subjects, so it is applied to the subjects as
      // they were just before it: only once every earlier write is applied.
      if (state.revision < entry.revision - 1) return false
      const from = state.subjectsById.get(entity.from)
      const to = state.subjectsById.get(entity.to)
      if (from === undefined || to === undefined) return false
      const { owner: _was, ...former } = from
      applySubjectWrite(state, entity.from, former, entry.revision)
      applySubjectWrite(state, entity.to, { ...to, owner: true }, entry.revision)
      return true
    }
    case 'tenant': case 'group': case 'resource': case 'key': case 'other':
      // Nothing a state holds (its name, groups, resources and keys are read elsewhere).
      return true
    default:
      return unreachable(entity)
  }
}

function unreachable (value: never): never {
  throw new Error(`unknown audited entity ${JSON.stringify(value as AuditedEntity)}`)
}
