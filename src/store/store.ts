import type { Bundle, ResourceFacts, Subject } from '../engine/model.js'

/**
 * The storage contract. Every method is scoped by tenant id first; no method can read
 * or change another tenant's rows. Every write bumps the tenant's revision in the same
 * transaction and returns the new revision; a write to an unknown tenant throws
 * NotFoundError, and a write that fails writes nothing (revision included).
 * Ids, aliases and names are compared exactly (case-sensitive).
 *
 * Errors: only the classes of `errors.ts` escape (NotFoundError, ConflictError,
 * RevisionMismatchError, StoreUnavailableError, and the base StoreError with kind
 * `internal` for a database error no rule maps, which is a bug); driver errors never do.
 */

export interface WriteOptions {
  /**
   * When set, the write happens only if the tenant's revision still equals it, else
   * RevisionMismatchError (carrying the current revision) and nothing is written.
   */
  ifRevision?: number
}

export interface Written {
  /** The tenant's revision after the write. */
  revision: number
}

export interface Tenant {
  id: string
  name: string
  revision: number
  createdAt: Date
}

export interface TenantReader {
  /** `undefined` when the tenant does not exist. */
  getTenant (tenantId: string): Promise<Tenant | undefined>
}

export interface TenantWriter {
  /**
   * Creates the tenant at revision 1, or renames it (bumping the revision). A tenant that
   * does not exist counts as revision 0: `ifRevision: 0` creates only if absent, and any
   * other `ifRevision` on an absent tenant throws RevisionMismatchError.
   */
  putTenant (tenantId: string, data: { name: string }, opts?: WriteOptions): Promise<Written & { created: boolean }>
}

export interface StoredPolicy {
  bundle: Bundle
  /** The tenant revision at which this policy was written. */
  revision: number
}

export interface PolicyReader {
  /** `undefined` when the tenant has no policy yet. Throws NotFoundError for an unknown tenant. */
  getPolicy (tenantId: string): Promise<StoredPolicy | undefined>
}

export interface PolicyWriter {
  /** Replaces the tenant's whole policy atomically. Throws NotFoundError for an unknown tenant. */
  putPolicy (tenantId: string, bundle: Bundle, opts?: WriteOptions): Promise<Written>
}

export interface SubjectReader {
  /** By id only (not alias). */
  getSubject (tenantId: string, id: string): Promise<Subject | undefined>
  /** Every subject of the tenant; order is not guaranteed; `[]` for an unknown tenant. Used to load the in-memory state. */
  listSubjects (tenantId: string): Promise<Subject[]>
}

export interface SubjectWriter {
  /**
   * Creates or replaces a subject; it reads back exactly as given (absent fields stay
   * absent). Throws ConflictError when one of its aliases is already the id or an alias
   * of another subject of the tenant, or its id is another subject's alias.
   */
  putSubject (tenantId: string, subject: Subject, opts?: WriteOptions): Promise<Written & { created: boolean }>
  /** Throws NotFoundError when there is no such subject. */
  deleteSubject (tenantId: string, id: string, opts?: WriteOptions): Promise<Written>
}

export interface Group {
  id: string
  description: string
}

export interface GroupReader {
  getGroup (tenantId: string, id: string): Promise<Group | undefined>
  /** Order is not guaranteed; `[]` for an unknown tenant. */
  listGroups (tenantId: string): Promise<Group[]>
}

export interface GroupWriter {
  putGroup (tenantId: string, group: Group, opts?: WriteOptions): Promise<Written & { created: boolean }>
  /** Throws NotFoundError when there is no such group. Subjects that name the group keep naming it. */
  deleteGroup (tenantId: string, id: string, opts?: WriteOptions): Promise<Written>
}

export interface ResourceReader {
  /** Reads back exactly what was put; `acl: []` (allows nothing) stays distinct from no `acl`. */
  getResource (tenantId: string, module: string, id: string): Promise<ResourceFacts | undefined>
}

export interface ResourceWriter {
  /** Creates or replaces the resource `(module, id)` whole. */
  putResource (tenantId: string, resource: ResourceFacts, opts?: WriteOptions): Promise<Written & { created: boolean }>
  /** Throws NotFoundError when there is no such resource. */
  deleteResource (tenantId: string, module: string, id: string, opts?: WriteOptions): Promise<Written>
}

export type KeyScope = 'check' | 'admin' | 'audit'

export interface ApiKey {
  id: string
  tenantId: string
  /** scrypt or sha-256 hash of the secret; the secret itself is never stored. */
  secretHash: string
  scopes: KeyScope[]
  createdAt: Date
  revokedAt: Date | null
}

export interface KeyReader {
  /** By key id, whatever the tenant: the bearer token names the key. */
  getKey (keyId: string): Promise<ApiKey | undefined>
  /** Revoked keys included; order is not guaranteed; `[]` for an unknown tenant. */
  listKeys (tenantId: string): Promise<ApiKey[]>
}

export interface KeyWriter {
  /** Bumps `key.tenantId`'s revision. Throws ConflictError when the key id exists, in any tenant. */
  createKey (key: Omit<ApiKey, 'createdAt' | 'revokedAt'>): Promise<Written>
  /**
   * Throws NotFoundError when the tenant has no such key (another tenant's key included).
   * Revoking a revoked key is a write that keeps the first `revokedAt`.
   */
  revokeKey (tenantId: string, keyId: string, opts?: WriteOptions): Promise<Written>
}

export interface SystemSettings {
  /** The hash of the generated root key, if one was generated; `undefined` before the first start. */
  getRootKeyHash (): Promise<string | undefined>
  /**
   * Stores the hash unless one is already stored, and returns the stored one: when two
   * replicas start at once, both end up with the same root key.
   */
  initRootKeyHash (hash: string): Promise<string>
}

export interface Lifecycle {
  /** Cheap round trip used by `/readyz`. */
  ping (): Promise<void>
  /** Idempotent; afterwards every call throws StoreUnavailableError. */
  close (): Promise<void>
}

export type Store =
  TenantReader & TenantWriter &
  PolicyReader & PolicyWriter &
  SubjectReader & SubjectWriter &
  GroupReader & GroupWriter &
  ResourceReader & ResourceWriter &
  KeyReader & KeyWriter &
  SystemSettings &
  Lifecycle
