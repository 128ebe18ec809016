import { and, eq, inArray, ne, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { ResourceFacts, Subject } from '../engine/model.js'
import { ConflictError, NotFoundError, RevisionMismatchError, StoreError, StoreUnavailableError, isRetryable, toStoreError } from './errors.js'
import { SETTING_ROOT_KEY_HASH, apiKeys, groups, policies, resources, subjectAliases, subjects, systemSettings, tenants } from './schema/index.js'
import type { ApiKey, Group, Store, Tenant, WriteOptions, Written } from './store.js'

/** A drizzle database on either driver (node-postgres or PGlite), created with `casing: 'snake_case'`. */
export type StoreDb = PgDatabase<PgQueryResultHKT>
type Tx = Parameters<Parameters<StoreDb['transaction']>[0]>[0]

export interface PgStoreOptions {
  /** Releases what the store runs on (pool, PGlite instance, lock file); called once by `close()`. */
  close: () => Promise<void>
}

/** A transaction aborted by a serialization failure or a deadlock is run again up to this many times in all. */
const MAX_ATTEMPTS = 3

type SubjectRow = typeof subjects.$inferSelect
type ResourceRow = typeof resources.$inferSelect
type KeyRow = typeof apiKeys.$inferSelect

function subjectFromRow (row: SubjectRow): Subject {
  // INVARIANT: NULL means "not given", so a subject reads back exactly as written.
  const s: Subject = { id: row.id, roles: row.roles }
  if (row.aliases !== null) s.aliases = row.aliases
  if (row.projects !== null) s.projects = row.projects
  if (row.groups !== null) s.groups = row.groups
  if (row.status !== null) s.status = row.status
  if (row.login !== null) s.login = row.login
  if (row.owner !== null) s.owner = row.owner
  if (row.overrides !== null) s.overrides = row.overrides
  return s
}

function subjectColumns (s: Subject): Omit<SubjectRow, 'tenantId' | 'id'> {
  return {
    roles: s.roles,
    aliases: s.aliases ?? null,
    projects: s.projects ?? null,
    groups: s.groups ?? null,
    status: s.status ?? null,
    login: s.login ?? null,
    owner: s.owner ?? null,
    overrides: s.overrides ?? null
  }
}

function resourceFromRow (row: ResourceRow): ResourceFacts {
  const r: ResourceFacts = { module: row.module, id: row.id, relations: row.relations }
  if (row.project !== null) r.project = row.project
  if (row.parent !== null) r.parent = row.parent
  // INVARIANT: `acl: []` (allows nothing) and no ACL are different things.
  if (row.acl !== null) r.acl = row.acl
  return r
}

function keyFromRow (row: KeyRow): ApiKey {
  return { id: row.id, tenantId: row.tenantId, secretHash: row.secretHash, scopes: row.scopes, createdAt: row.createdAt, revokedAt: row.revokedAt }
}

async function pause (attempt: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, 5 * attempt + Math.floor(Math.random() * 10)))
}

/**
 * The single drizzle implementation of `Store`, for node-postgres and PGlite alike.
 *
 * Every write is one transaction that starts with
 * `UPDATE tenants SET revision = revision + 1 WHERE id = $1 [AND revision = $2]`:
 * the row lock it takes serializes the tenant's writers (so checks made later in the
 * transaction, such as alias uniqueness, cannot race), a missing row is NotFoundError or
 * RevisionMismatchError, and any later failure rolls the bump back with the change.
 */
export function createPgStore (db: StoreDb, opts: PgStoreOptions): Store {
  let closed = false

  async function run<T> (fn: () => Promise<T>): Promise<T> {
    if (closed) throw new StoreUnavailableError('the store is closed')
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && isRetryable(err)) {
          await pause(attempt)
          continue
        }
        throw toStoreError(err)
      }
    }
  }

  /** Bumps the tenant's revision (and sets `name` when given); returns the new revision. */
  async function bump (tx: Tx, tenantId: string, ifRevision: number | undefined, name?: string): Promise<number> {
    const match = ifRevision === undefined
      ? eq(tenants.id, tenantId)
      : and(eq(tenants.id, tenantId), eq(tenants.revision, ifRevision))
    const rows = await tx.update(tenants)
      .set({ revision: sql`${tenants.revision} + 1`, ...(name === undefined ? {} : { name }) })
      .where(match)
      .returning({ revision: tenants.revision })
    if (rows[0] !== undefined) return rows[0].revision
    const current = await tx.select({ revision: tenants.revision }).from(tenants).where(eq(tenants.id, tenantId))
    if (current[0] === undefined) throw new NotFoundError('tenant', tenantId)
    throw new RevisionMismatchError(tenantId, ifRevision ?? 0, current[0].revision)
  }

  /** Runs `change` in the tenant's write transaction, after the revision bump. */
  async function write<R extends object> (tenantId: string, wopts: WriteOptions | undefined, change: (tx: Tx, revision: number) => Promise<R>): Promise<R & Written> {
    return run(() => db.transaction(async tx => {
      const revision = await bump(tx, tenantId, wopts?.ifRevision)
      const result = await change(tx, revision)
      return { ...result, revision }
    }))
  }

  /**
   * Throws ConflictError when a name the subject claims (its aliases) is another
   * subject's id or alias, or its id is another subject's alias. Returns whether the
   * subject itself exists. Race-free only after `bump` (tenant row lock).
   */
  async function checkSubjectNames (tx: Tx, tenantId: string, id: string, aliases: string[]): Promise<boolean> {
    const names = [id, ...aliases]
    const byId = await tx.select({ id: subjects.id }).from(subjects)
      .where(and(eq(subjects.tenantId, tenantId), inArray(subjects.id, names)))
    const clash = byId.find(r => r.id !== id)
    if (clash !== undefined) {
      throw new ConflictError('alias_conflict', `alias \`${clash.id}\` is the id of subject \`${clash.id}\``)
    }
    const byAlias = await tx.select({ alias: subjectAliases.alias, subjectId: subjectAliases.subjectId }).from(subjectAliases)
      .where(and(eq(subjectAliases.tenantId, tenantId), inArray(subjectAliases.alias, names), ne(subjectAliases.subjectId, id)))
      .limit(1)
    const taken = byAlias[0]
    if (taken !== undefined) {
      throw new ConflictError('alias_conflict', taken.alias === id
        ? `subject id \`${id}\` is an alias of subject \`${taken.subjectId}\``
        : `alias \`${taken.alias}\` is an alias of subject \`${taken.subjectId}\``)
    }
    return byId.length > 0
  }

  return {
    async getTenant (tenantId) {
      return run(async () => {
        const rows = await db.select().from(tenants).where(eq(tenants.id, tenantId))
        const row = rows[0]
        return row === undefined ? undefined : { id: row.id, name: row.name, revision: row.revision, createdAt: row.createdAt } satisfies Tenant
      })
    },

    async putTenant (tenantId, data, wopts) {
      const ifRevision = wopts?.ifRevision
      return run(() => db.transaction(async tx => {
        if (ifRevision === undefined || ifRevision === 0) {
          const inserted = await tx.insert(tenants).values({ id: tenantId, name: data.name }).onConflictDoNothing().returning({ revision: tenants.revision })
          if (inserted[0] !== undefined) return { revision: inserted[0].revision, created: true }
        }
        try {
          // ifRevision 0 means "only if absent": the tenant exists, so bump reports the mismatch.
          return { revision: await bump(tx, tenantId, ifRevision, data.name), created: false }
        } catch (err) {
          // If-Match on a tenant that does not exist: the precondition fails (revision 0).
          if (err instanceof NotFoundError && ifRevision !== undefined) throw new RevisionMismatchError(tenantId, ifRevision, 0)
          throw err
        }
      }))
    },

    async getPolicy (tenantId) {
      return run(async () => {
        const rows = await db.select({ tenantId: tenants.id, bundle: policies.bundle, revision: policies.revision })
          .from(tenants)
          .leftJoin(policies, eq(policies.tenantId, tenants.id))
          .where(eq(tenants.id, tenantId))
        const row = rows[0]
        if (row === undefined) throw new NotFoundError('tenant', tenantId)
        if (row.bundle === null || row.revision === null) return undefined
        return { bundle: row.bundle, revision: row.revision }
      })
    },

    async putPolicy (tenantId, bundle, wopts) {
      return write(tenantId, wopts, async (tx, revision) => {
        await tx.insert(policies).values({ tenantId, bundle, revision })
          .onConflictDoUpdate({ target: policies.tenantId, set: { bundle, revision } })
        return {}
      })
    },

    async getSubject (tenantId, id) {
      return run(async () => {
        const rows = await db.select().from(subjects).where(and(eq(subjects.tenantId, tenantId), eq(subjects.id, id)))
        return rows[0] === undefined ? undefined : subjectFromRow(rows[0])
      })
    },

    async listSubjects (tenantId) {
      return run(async () => {
        const rows = await db.select().from(subjects).where(eq(subjects.tenantId, tenantId))
        return rows.map(subjectFromRow)
      })
    },

    async putSubject (tenantId, subject, wopts) {
      return write(tenantId, wopts, async tx => {
        const aliases = [...new Set(subject.aliases ?? [])].filter(a => a !== subject.id)
        const exists = await checkSubjectNames(tx, tenantId, subject.id, aliases)
        const columns = subjectColumns(subject)
        if (exists) {
          await tx.update(subjects).set(columns).where(and(eq(subjects.tenantId, tenantId), eq(subjects.id, subject.id)))
          await tx.delete(subjectAliases).where(and(eq(subjectAliases.tenantId, tenantId), eq(subjectAliases.subjectId, subject.id)))
        } else {
          await tx.insert(subjects).values({ tenantId, id: subject.id, ...columns })
        }
        if (aliases.length > 0) {
          await tx.insert(subjectAliases).values(aliases.map(alias => ({ tenantId, alias, subjectId: subject.id })))
        }
        return { created: !exists }
      })
    },

    async deleteSubject (tenantId, id, wopts) {
      return write(tenantId, wopts, async tx => {
        // subject_aliases rows go with the subject (ON DELETE CASCADE).
        const rows = await tx.delete(subjects).where(and(eq(subjects.tenantId, tenantId), eq(subjects.id, id))).returning({ id: subjects.id })
        if (rows.length === 0) throw new NotFoundError('subject', id)
        return {}
      })
    },

    async getGroup (tenantId, id) {
      return run(async () => {
        const rows = await db.select({ id: groups.id, description: groups.description }).from(groups)
          .where(and(eq(groups.tenantId, tenantId), eq(groups.id, id)))
        return rows[0] satisfies Group | undefined
      })
    },

    async listGroups (tenantId) {
      return run(async () => db.select({ id: groups.id, description: groups.description }).from(groups).where(eq(groups.tenantId, tenantId)))
    },

    async putGroup (tenantId, group, wopts) {
      return write(tenantId, wopts, async tx => {
        const updated = await tx.update(groups).set({ description: group.description })
          .where(and(eq(groups.tenantId, tenantId), eq(groups.id, group.id)))
          .returning({ id: groups.id })
        if (updated.length > 0) return { created: false }
        await tx.insert(groups).values({ tenantId, id: group.id, description: group.description })
        return { created: true }
      })
    },

    async deleteGroup (tenantId, id, wopts) {
      return write(tenantId, wopts, async tx => {
        const rows = await tx.delete(groups).where(and(eq(groups.tenantId, tenantId), eq(groups.id, id))).returning({ id: groups.id })
        if (rows.length === 0) throw new NotFoundError('group', id)
        return {}
      })
    },

    async getResource (tenantId, module, id) {
      return run(async () => {
        const rows = await db.select().from(resources)
          .where(and(eq(resources.tenantId, tenantId), eq(resources.module, module), eq(resources.id, id)))
        return rows[0] === undefined ? undefined : resourceFromRow(rows[0])
      })
    },

    async putResource (tenantId, resource, wopts) {
      return write(tenantId, wopts, async tx => {
        const columns = {
          project: resource.project ?? null,
          parent: resource.parent ?? null,
          relations: resource.relations,
          acl: resource.acl ?? null
        }
        const updated = await tx.update(resources).set(columns)
          .where(and(eq(resources.tenantId, tenantId), eq(resources.module, resource.module), eq(resources.id, resource.id)))
          .returning({ id: resources.id })
        if (updated.length > 0) return { created: false }
        await tx.insert(resources).values({ tenantId, module: resource.module, id: resource.id, ...columns })
        return { created: true }
      })
    },

    async deleteResource (tenantId, module, id, wopts) {
      return write(tenantId, wopts, async tx => {
        const rows = await tx.delete(resources)
          .where(and(eq(resources.tenantId, tenantId), eq(resources.module, module), eq(resources.id, id)))
          .returning({ id: resources.id })
        if (rows.length === 0) throw new NotFoundError('resource', `${module}/${id}`)
        return {}
      })
    },

    async getKey (keyId) {
      return run(async () => {
        const rows = await db.select().from(apiKeys).where(eq(apiKeys.id, keyId))
        return rows[0] === undefined ? undefined : keyFromRow(rows[0])
      })
    },

    async listKeys (tenantId) {
      return run(async () => {
        const rows = await db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId))
        return rows.map(keyFromRow)
      })
    },

    async createKey (key) {
      try {
        return await write(key.tenantId, undefined, async tx => {
          await tx.insert(apiKeys).values({ tenantId: key.tenantId, id: key.id, secretHash: key.secretHash, scopes: key.scopes })
          return {}
        })
      } catch (err) {
        // Key ids are unique across tenants (api_keys_id_idx), so the tenant lock does not
        // cover this uniqueness: the index does.
        if (err instanceof ConflictError) throw new ConflictError('duplicate', `key \`${key.id}\` already exists`, { cause: err.cause })
        throw err
      }
    },

    async revokeKey (tenantId, keyId, wopts) {
      return write(tenantId, wopts, async tx => {
        // Revoking a revoked key keeps the first revocation time.
        const rows = await tx.update(apiKeys).set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
          .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId)))
          .returning({ id: apiKeys.id })
        if (rows.length === 0) throw new NotFoundError('key', keyId)
        return {}
      })
    },

    async getRootKeyHash () {
      return run(async () => {
        const rows = await db.select({ value: systemSettings.value }).from(systemSettings).where(eq(systemSettings.key, SETTING_ROOT_KEY_HASH))
        return rows[0]?.value
      })
    },

    async initRootKeyHash (hash) {
      return run(async () => {
        // One statement, so that two replicas starting at once both get the first writer's
        // value: the no-op DO UPDATE makes RETURNING yield the row that is already there.
        const rows = await db.insert(systemSettings).values({ key: SETTING_ROOT_KEY_HASH, value: hash })
          .onConflictDoUpdate({ target: systemSettings.key, set: { value: sql`${systemSettings.value}` } })
          .returning({ value: systemSettings.value })
        const stored = rows[0]
        if (stored === undefined) throw new StoreError('internal', 'internal', 'the root key hash was not stored')
        return stored.value
      })
    },

    async ping () {
      await run(async () => { await db.execute(sql`select 1`) })
    },

    async close () {
      if (closed) return
      closed = true
      await opts.close()
    }
  }
}
