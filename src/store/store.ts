import type { Bundle, ResourceFacts, Subject } from '../engine/model.js'
import type { QueryPlan, SearchFacts } from '../engine/plan.js'
import type { ChangeHandlers, StopFeed } from './notify.js'

/**
 * The storage contract. Every method is scoped by tenant id first; no method can read
 * or change another tenant's rows. Every write bumps the tenant's revision in the same
 * transaction and returns the new revision with the audit entry it appended; a write to an unknown tenant throws
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
  /** Who makes the write, for its audit entry (every write appends one, in its transaction). */
  by?: AuditAuthor
  /**
   * What the audit entry names, when the write changes a part of what it stores: a role
   * edit is written as the whole bundle but audited as the role. Default: the entity the
   * method writes (tenant, policy, subject, ownership, group, resource, key), before and after.
   */
  audited?: AuditedChange
}

export interface AuditAuthor {
  /** The key id, or `root` for the root key. */
  keyId: string
  /** The acting user the caller named, if any. */
  actor?: string
}

/**
 * What a write changed, typed: the one description of a write that the audit log stores
 * and that every cache is brought up to date from (src/service/apply.ts), for this
 * process's writes and other replicas' alike. `role`, `module` and `flag` are policy
 * edits audited as the part they change (the store writes the whole bundle).
 * `other` is an entity type this version does not know (written by a newer replica):
 * whoever applies it must assume it changed anything of the tenant.
 */
export type AuditedEntity =
  | { type: 'tenant', id: string }
  | { type: 'policy' }
  | { type: 'role' | 'module' | 'flag', name: string }
  | { type: 'subject', id: string }
  | { type: 'ownership', from: string, to: string }
  | { type: 'group', id: string }
  | { type: 'resource', module: string, id: string }
  | { type: 'key', id: string }
  | { type: 'other', entityType: string, entityId: string }

/** Every entity type a write of this version produces. */
export const ENTITY_TYPES = ['tenant', 'policy', 'role', 'module', 'flag', 'subject', 'ownership', 'group', 'resource', 'key'] as const satisfies ReadonlyArray<AuditedEntity['type']>

export interface AuditedChange {
  entity: AuditedEntity
  action: AuditAction
  before: unknown
  after: unknown
}

export type AuditAction = 'put' | 'delete' | 'create' | 'revoke'

/**
 * One audit entry: who changed what, when, and the revision the change produced.
 * `entityType` and `entityId` are `entity` as stored and listed (a resource is
 * `module/id`, an ownership transfer the tenant id).
 */
export interface AuditEntry extends AuditedChange {
  revision: number
  at: Date
  keyId: string | null
  actor: string | null
  entityType: string
  entityId: string
}

export interface AuditQuery {
  entityType?: string
  entityId?: string
  /** Entries at or after this time. */
  since?: Date
  /** Entries before this time. */
  until?: Date
  /** Entries with a revision above this one (paging: the last revision of the previous page). */
  afterRevision?: number
  /** 1 to MAX_PAGE_LIMIT. */
  limit: number
}

export interface AuditReader {
  /** Entries in revision order (oldest first), filtered; `[]` for an unknown tenant. */
  listAudit (tenantId: string, query: AuditQuery): Promise<{ entries: AuditEntry[], hasMore: boolean }>
}

export interface Written {
  /** The tenant's revision after the write. */
  revision: number
  /** The audit entry the write appended (at `revision`): what it changed, for the caches to apply. */
  entry: AuditEntry
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
  /**
   * Makes `to` the owner and `from` no longer one, in one write. Throws NotFoundError when
   * either subject is missing, ConflictError when `from` is not an owner.
   */
  transferOwnership (tenantId: string, from: string, to: string, opts?: WriteOptions): Promise<Written>
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
  /** The stored resources among `ids`, in the order of `ids`, in one query; an id stored under no resource is left out. */
  getResources (tenantId: string, module: string, ids: readonly string[]): Promise<ResourceFacts[]>
}

export interface ResourceWriter {
  /**
   * Creates or replaces the resource `(module, id)` whole. Keeps the search indexes in
   * the same transaction: its relation values, and the effective project and governing
   * ACL of the resource and of every stored resource below it.
   */
  putResource (tenantId: string, resource: ResourceFacts, opts?: WriteOptions): Promise<Written & { created: boolean }>
  /** Throws NotFoundError when there is no such resource. */
  deleteResource (tenantId: string, module: string, id: string, opts?: WriteOptions): Promise<Written>
}

/** The largest page `listResources` returns. */
export const MAX_PAGE_LIMIT = 1000

export interface ListResourcesOptions {
  /** Return only ids after this one (keyset paging: the last id of the previous page). */
  after?: string
  /** At most this many ids, from 1 to MAX_PAGE_LIMIT. */
  limit: number
}

export interface ResourcePage {
  /** Ids of the module's stored resources satisfying the plan, in ascending id order (the database's collation). */
  ids: string[]
  /** Whether more ids follow the last one (`listResources` again with `after` set to it). */
  hasMore: boolean
}

/**
 * Search over stored resources (ADR 0002). A search is `planSearch(policy, subject,
 * action, module, await getSearchFacts(tenantId, module))`, then `listResources` page by
 * page. Pages are not a snapshot: writes between two calls may add or remove ids.
 */
export interface ResourceSearcher {
  /**
   * The ACL facts of the module's stored resources: whether one is governed by an ACL
   * (its own or its nearest ancestor's through `parent`, as decisions read ancestors),
   * and the distinct `when` texts of the ACL entries the store keeps (those the engine
   * can match: a string `who`, a string `when`, at least one string action), in no
   * promised order. `{ hasAcls: false, aclConditions: [] }` for an unknown tenant or module.
   */
  getSearchFacts (tenantId: string, module: string): Promise<SearchFacts>
  /**
   * One page of the ids of the module's stored resources satisfying `plan`, in ascending
   * id order, answered by the database through its indexes (it never loads the module's
   * resources into memory). A conditional plan's `project_in` reads each resource's
   * effective project (its own `project`, else its nearest ancestor's); its relation
   * tests read the resource's own relation values; its ACL leaves read the entries of the
   * governing ACL (the resource's own, else its nearest ancestor's). `[]` for an unknown tenant or module.
   * Throws StoreError `internal` for a limit outside 1..MAX_PAGE_LIMIT or a malformed plan.
   */
  listResources (tenantId: string, module: string, plan: QueryPlan, opts: ListResourcesOptions): Promise<ResourcePage>
}

export type KeyScope = 'check' | 'admin' | 'audit'

/** Whether writes with a key must name their acting user (`Gatehouse-Actor`). */
export type ActorMode = 'optional' | 'required'

export interface ApiKey {
  id: string
  tenantId: string
  /** scrypt or sha-256 hash of the secret; the secret itself is never stored. */
  secretHash: string
  scopes: KeyScope[]
  actor: ActorMode
  createdAt: Date
  revokedAt: Date | null
}

export interface KeyReader {
  /** By key id, whatever the tenant: the bearer token names the key. */
  getKey (keyId: string): Promise<ApiKey | undefined>
  /** Revoked keys included; oldest first (creation time, then id); `[]` for an unknown tenant. */
  listKeys (tenantId: string): Promise<ApiKey[]>
}

export interface KeyWriter {
  /** Bumps `key.tenantId`'s revision. Throws ConflictError when the key id exists, in any tenant. */
  createKey (key: Omit<ApiKey, 'createdAt' | 'revokedAt' | 'actor'> & { actor?: ActorMode }, opts?: WriteOptions): Promise<Written>
  /**
   * Throws NotFoundError when the tenant has no such key (another tenant's key included).
   * Revoking a revoked key is a write that keeps the first `revokedAt`.
   */
  revokeKey (tenantId: string, keyId: string, opts?: WriteOptions): Promise<Written>
}

/** The store as an edit sees it: every reader and writer, inside the edit's transaction. */
export type EditStore = Omit<Store, keyof Lifecycle | keyof TenantEditor>

export interface TenantEditor {
  /**
   * Runs `edit` in one transaction that first locks the tenant's row (`SELECT ... FOR
   * UPDATE`), passing it the tenant's revision and a store whose reads and writes run in
   * that transaction: a read-modify-write made through it serializes with every other
   * write of the tenant (on every replica), so it needs neither a precondition nor a
   * retry. Its writes commit when `edit` resolves and roll back when it throws; what it
   * throws is rethrown as is. Throws NotFoundError for an unknown tenant. The store given
   * is valid only during `edit`.
   */
  editTenant<T> (tenantId: string, edit: (tx: EditStore, revision: number) => Promise<T>): Promise<T>
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
  /**
   * Follows every write committed to the database, this process's and other replicas'
   * (src/store/notify.ts). Resolves once listening; the returned function stops it.
   */
  watch (handlers: ChangeHandlers): Promise<StopFeed>
  /** The current revision of each of these tenants that exists. */
  getRevisions (tenantIds: readonly string[]): Promise<Map<string, number>>
  /** Idempotent; afterwards every call throws StoreUnavailableError. */
  close (): Promise<void>
}

export type Store =
  TenantReader & TenantWriter &
  PolicyReader & PolicyWriter &
  SubjectReader & SubjectWriter &
  GroupReader & GroupWriter &
  ResourceReader & ResourceWriter & ResourceSearcher &
  KeyReader & KeyWriter &
  AuditReader &
  TenantEditor &
  SystemSettings &
  Lifecycle
