import { and, asc, eq, gt, gte, inArray, isNotNull, lt, lte, ne, sql } from 'drizzle-orm'
import type { SQL } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { ResourceFacts, Subject } from '../engine/model.js'
import type { Filter, QueryPlan } from '../engine/plan.js'
import { MAX_ANCESTOR_DEPTH } from '../engine/plan.js'
import { ConflictError, NotFoundError, RevisionMismatchError, StoreError, StoreUnavailableError, isRetryable, toStoreError } from './errors.js'
import type { AttributeMapping, PlanSqlMapping, RelationMapping, SqlPart } from './plan-sql.js'
import { attributeContainment, planToSqlParts } from './plan-sql.js'
import { CHANGES_CHANNEL, changePayload } from './notify.js'
import type { ChangeHandlers, StopFeed } from './notify.js'
import { SETTING_ROOT_KEY_HASH, aclEntries, apiKeys, auditLog, groups, policies, resourceRelations, resources, subjectAliases, subjects, systemSettings, tenants } from './schema/index.js'
import type { ApiKey, AuditedChange, AuditedEntity, AuditEntry, Group, ResourcePage, Store, Tenant, WriteOptions, Written } from './store.js'
import { MAX_PAGE_LIMIT } from './store.js'

/** A drizzle database on either driver (node-postgres or PGlite), created with `casing: 'snake_case'`. */
export type StoreDb = PgDatabase<PgQueryResultHKT>
type Tx = Parameters<Parameters<StoreDb['transaction']>[0]>[0]

export interface PgStoreOptions {
  /** Releases what the store runs on (pool, PGlite instance, lock file); called once by `close()`. */
  close: () => Promise<void>
  /** Starts a change feed on the same database (src/store/notify.ts). */
  listen: (handlers: ChangeHandlers) => Promise<StopFeed>
  /** At most the rows a search scans in id order before it walks the plan's candidates; default SCAN_WINDOW. */
  searchScanWindow?: number
  /**
   * Keep the search tables' planner statistics fresh, as autovacuum does on PostgreSQL
   * (PGlite has none): a search after more resource writes than 50 + 10 % of the rows
   * counted at the last ANALYZE (autovacuum's defaults) runs one first.
   */
  analyze?: boolean
}

/** Rows of `resource_relations` written per INSERT statement. */
const RELATION_ROWS_PER_INSERT = 2000

/** Rows of `acl_entries` written per INSERT statement (8 parameters each, at most 65,535 per statement). */
const ACL_ROWS_PER_INSERT = 4000

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
  if (row.attributes !== null) s.attributes = row.attributes
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
    overrides: s.overrides ?? null,
    attributes: s.attributes ?? null
  }
}

function resourceFromRow (row: ResourceRow): ResourceFacts {
  const r: ResourceFacts = { module: row.module, id: row.id, relations: row.relations }
  if (row.project !== null) r.project = row.project
  if (row.parent !== null) r.parent = row.parent
  // INVARIANT: `acl: []` (allows nothing) and no ACL are different things.
  if (row.acl !== null) r.acl = row.acl
  if (row.attributes !== null) r.attributes = row.attributes
  return r
}

/** The rows of `resource_relations` for a resource: one per (relation, string value), without repeats. */
function relationRows (tenantId: string, resource: ResourceFacts): Array<typeof resourceRelations.$inferInsert> {
  const rows: Array<typeof resourceRelations.$inferInsert> = []
  const seen = new Set<string>()
  for (const [relation, values] of Object.entries(resource.relations ?? {})) {
    if (!Array.isArray(values)) continue
    for (const value of values) {
      // INVARIANT: the engine matches only string values (`inScope`), so only those are indexed.
      if (typeof value !== 'string') continue
      const key = JSON.stringify([relation, value])
      if (seen.has(key)) continue
      seen.add(key)
      rows.push({ tenantId, module: resource.module, relation, value, resourceId: resource.id })
    }
  }
  return rows
}

/**
 * The rows of `acl_entries` for a resource's own ACL: one per (entry, effect, action),
 * for the entries the engine can match (`entryApplies` in src/engine/acl.ts: a string
 * `who`; no `when`, or a string one) and string actions, without repeats. Migration 0005
 * writes the same rows for the ACLs stored before it.
 */
function aclEntryRows (tenantId: string, resource: ResourceFacts): Array<typeof aclEntries.$inferInsert> {
  const rows: Array<typeof aclEntries.$inferInsert> = []
  const acl: unknown = resource.acl
  if (!Array.isArray(acl)) return rows
  acl.forEach((entry: unknown, position) => {
    if (typeof entry !== 'object' || entry === null) return
    const { who, when, allow, deny } = entry as Record<string, unknown>
    if (typeof who !== 'string' || (when !== undefined && typeof when !== 'string')) return
    for (const [effect, actions] of [['allow', allow], ['deny', deny]] as const) {
      if (!Array.isArray(actions)) continue
      for (const action of new Set(actions)) {
        if (typeof action !== 'string') continue
        rows.push({ tenantId, module: resource.module, holderId: resource.id, position, effect, action, who, when: when ?? null })
      }
    }
  })
  return rows
}

/**
 * At most the rows a search scans in id order before it walks the plan's candidates
 * (`listResources`): a few ms of filtering on PostgreSQL.
 */
const SCAN_WINDOW = 10_000

/**
 * Candidate rows read per step of the candidate walk, first and at most: a step that
 * the filter thins out reads twice as many next time.
 */
const FIRST_CANDIDATES = 128
const MAX_CANDIDATES = 8192

/**
 * Rows of the id-order window per index probe a step of the candidate walk makes: what
 * costs the same on PostgreSQL (measured under load: about 0.6 µs per window row, edge
 * and filter, against 10 µs per probe of an ACL holder's resources). A walk of few
 * probes is not worth a long window first.
 */
const WINDOW_ROWS_PER_PROBE = 16

/** The shortest window: a page's worth of a dense result costs less than a query more. */
const MIN_WINDOW = 1000

/**
 * One index-ordered source of candidates: `ids` is the query for its first `rows` ids
 * above `after` in id order (all of them when it has fewer; an id may come more than
 * once); `probes`, the index ranges a step reads, or a query counting them up to `cap`.
 */
export interface CandidateSource {
  ids: (after: string | undefined, rows: number) => SQL
  probes: number | ((cap: number) => SQL)
}

/**
 * Sources whose union is a superset of the ids of the module's resources satisfying
 * `filter`, each read in id order through an index: a leaf that names what it holds for
 * is its own candidates (a relation's rows, one index range per value; a project's
 * resources, one range per project; ids; the resources governed by an ACL with an entry
 * that allows, one range of the `acl_holder` index per such holder, holders where an
 * entry denies left out; an attribute test that is containment in SQL, equality, `in`
 * or list `contains` (`attributeContainment`), read through resources_attributes_idx);
 * `and` takes the candidates of its first argument that has some, an attribute test's
 * only when no other argument has any, `or` the union of its arguments' (none if one has
 * none); `not`, `acl_governed`, `attribute_exists` and the other attribute tests have
 * none. `undefined`: no candidates.
 * Exported for test/store/attribute-index.test.ts, which EXPLAINs them.
 */
export function candidatesOf (filter: Filter, tenantId: string, module: string): CandidateSource[] | undefined {
  // Lists are one array parameter each (`sql.param`): interpolated bare, drizzle would spread them.
  const above = (column: SQL, after: string | undefined): SQL => after === undefined ? sql`TRUE` : sql`${column} > ${after}`
  switch (filter.op) {
    case 'and': {
      // An attribute's candidates last: a relation, a project, ids or an ACL name few
      // resources by nature, while an attribute value (a status) may be most of the module's.
      let attribute: CandidateSource[] | undefined
      for (const arg of filter.args) {
        const found = candidatesOf(arg, tenantId, module)
        if (found === undefined) continue
        if (!arg.op.startsWith('attribute_')) return found
        attribute ??= found
      }
      return attribute
    }
    case 'or': {
      const sources: CandidateSource[] = []
      for (const arg of filter.args) {
        const found = candidatesOf(arg, tenantId, module)
        if (found === undefined) return undefined
        sources.push(...found)
      }
      return sources
    }
    case 'relation_contains_any':
      // One range of the primary key (…, relation, value, resource_id) per value, each in id order.
      return [{
        probes: filter.values.length,
        ids: (after, rows) => sql`SELECT x.id FROM unnest(${sql.param(filter.values)}::text[]) AS v (value)
          CROSS JOIN LATERAL (
            SELECT rr.resource_id AS id FROM resource_relations rr
            WHERE rr.tenant_id = ${tenantId} AND rr.module = ${module} AND rr.relation = ${filter.relation} AND rr.value = v.value
              AND ${above(sql.raw('rr.resource_id'), after)}
            ORDER BY rr.resource_id LIMIT ${rows}
          ) AS x`
      }]
    case 'project_in':
      return [{
        probes: filter.values.length,
        ids: (after, rows) => sql`SELECT x.id FROM unnest(${sql.param(filter.values)}::text[]) AS v (project)
          CROSS JOIN LATERAL (
            SELECT r.id FROM resources r
            WHERE r.tenant_id = ${tenantId} AND r.module = ${module} AND r.effective_project = v.project AND ${above(sql.raw('r.id'), after)}
            ORDER BY r.id LIMIT ${rows}
          ) AS x`
      }]
    case 'id_in':
      return [{ probes: 0, ids: after => sql`SELECT v.id FROM unnest(${sql.param(filter.values)}::text[]) AS v (id) WHERE ${above(sql.raw('v.id'), after)}` }]
    case 'attribute_compare': case 'attribute_in': case 'attribute_contains': {
      // Containment, which resources_attributes_idx serves; ranges, timestamps and `ne` have
      // none. One bitmap read of the index, sorted by id: its postings have no id order.
      const objects = attributeContainment(filter)
      if (objects === undefined) return undefined
      return [{
        probes: objects.length,
        ids: (after, rows) => sql`SELECT r.id FROM resources r
          WHERE r.tenant_id = ${tenantId} AND r.module = ${module} AND r.attributes @> ANY(${sql.param(objects)}::jsonb[]) AND ${above(sql.raw('r.id'), after)}
          ORDER BY r.id LIMIT ${rows}`
      }]
    }
    case 'acl_allows': {
      const entries = (effect: 'allow' | 'deny'): SQL => sql`SELECT e.holder_id FROM acl_entries e
        WHERE e.tenant_id = ${tenantId} AND e.module = ${module} AND e.who = ANY(${sql.param(filter.who)}) AND e.action = ${filter.action}
          AND e.effect = ${effect} AND (e."when" IS NULL OR e."when" = ANY(${sql.param(filter.when ?? [])}::text[]))`
      // One probe of the (…, acl_holder, id) index per holder, never a scan of it: a
      // holder may govern a whole tree, of which a step needs only its first ids.
      return [{
        // The allowing entries, at most `cap` of them (a holder may have several).
        probes: cap => sql`SELECT count(*) FROM (${entries('allow')} LIMIT ${cap}) AS n`,
        ids: (after, rows) => sql`SELECT x.id FROM (${entries('allow')} EXCEPT ${entries('deny')}) AS h (holder_id)
          CROSS JOIN LATERAL (
            SELECT r.id FROM resources r
            WHERE r.tenant_id = ${tenantId} AND r.module = ${module} AND r.acl_holder = h.holder_id AND ${above(sql.raw('r.id'), after)}
            ORDER BY r.id LIMIT ${rows}
          ) AS x`
      }]
    }
    default: return undefined
  }
}

/** Plan SQL parts as a drizzle query fragment (values stay parameters). */
function partsToSql (parts: readonly SqlPart[]): SQL {
  return sql.join(parts.map(p => typeof p === 'string' ? sql.raw(p) : sql.param(p.param)))
}

/**
 * Where the plan's attributes live in the store: the effective project column, every
 * relation in `resource_relations`, restricted to the tenant and module searched, every
 * resource attribute in the `attributes` jsonb column, and ACLs as the governing
 * resource (`acl_holder`) and its rows in `acl_entries`.
 */
function storeMapping (tenantId: string, module: string, plan: QueryPlan): PlanSqlMapping {
  // No prototype: a relation named `__proto__` is just a key here.
  const relations: Record<string, RelationMapping> = Object.create(null) as Record<string, RelationMapping>
  const attributes: Record<string, AttributeMapping> = Object.create(null) as Record<string, AttributeMapping>
  const visit = (f: Extract<QueryPlan, { kind: 'conditional' }>['filter']): void => {
    if (f.op === 'and' || f.op === 'or') f.args.forEach(visit)
    else if (f.op === 'not') visit(f.arg)
    else if (f.op === 'relation_contains_any') {
      relations[f.relation] = {
        join: { table: 'resource_relations', key: 'resource_id', valueColumn: 'value', resourceKey: 'resources.id', where: { tenant_id: tenantId, module, relation: f.relation } }
      }
    } else if ('attribute' in f) {
      attributes[f.attribute] = { jsonb: 'resources.attributes' }
    }
  }
  if (plan.kind === 'conditional') visit(plan.filter)
  return {
    id: 'resources.id',
    project: 'resources.effective_project',
    relations,
    attributes,
    acl: {
      holder: 'resources.acl_holder',
      entries: { table: 'acl_entries', holder: 'holder_id', who: 'who', action: 'action', effect: 'effect', when: 'when', where: { tenant_id: tenantId, module } }
    }
  }
}

/**
 * How an entity is stored in `audit_log`: the type, and one id string (a resource's is
 * `module/id`; an ownership transfer's is the tenant, its subjects are in before/after).
 */
function entityColumns (tenantId: string, entity: AuditedEntity): { entityType: string, entityId: string } {
  switch (entity.type) {
    case 'tenant': case 'subject': case 'group': case 'key': return { entityType: entity.type, entityId: entity.id }
    case 'policy': case 'ownership': return { entityType: entity.type, entityId: tenantId }
    case 'role': case 'module': case 'flag': return { entityType: entity.type, entityId: entity.name }
    case 'resource': return { entityType: 'resource', entityId: `${entity.module}/${entity.id}` }
    case 'other': return { entityType: entity.entityType, entityId: entity.entityId }
    default: return unreachable(entity)
  }
}

/** The entity a stored audit row names: `entityColumns` read back. */
function entityOf (entityType: string, entityId: string, before: unknown, after: unknown): AuditedEntity {
  const other: AuditedEntity = { type: 'other', entityType, entityId }
  switch (entityType) {
    case 'tenant': case 'subject': case 'group': case 'key': return { type: entityType, id: entityId }
    case 'policy': return { type: 'policy' }
    case 'role': case 'module': case 'flag': return { type: entityType, name: entityId }
    case 'resource': {
      // Read from the facts written, not by splitting `module/id`: both may hold a `/`.
      const facts = (after ?? before) as { module?: unknown, id?: unknown } | null
      const module = facts?.module
      const id = facts?.id
      return typeof module === 'string' && typeof id === 'string' && `${module}/${id}` === entityId ? { type: 'resource', module, id } : other
    }
    case 'ownership': {
      const from = (before as { owner?: unknown } | null)?.owner
      const to = (after as { owner?: unknown } | null)?.owner
      return typeof from === 'string' && typeof to === 'string' ? { type: 'ownership', from, to } : other
    }
    default: return other
  }
}

function unreachable (value: never): never {
  throw new StoreError('internal', 'internal', `unknown audited entity ${JSON.stringify(value)}`)
}

function keyFromRow (row: KeyRow): ApiKey {
  return { id: row.id, tenantId: row.tenantId, secretHash: row.secretHash, scopes: row.scopes, actor: row.actor, createdAt: row.createdAt, revokedAt: row.revokedAt }
}

/** What an edit (`editTenant`) threw itself, carried through the store's error mapping untouched. */
class EditAborted extends StoreError {
  constructor (readonly reason: unknown) {
    super('internal', 'internal', 'the edit threw')
  }
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
  const scanWindow = opts.searchScanWindow ?? SCAN_WINDOW
  // Without statistics the planner takes every table for one row, and joins a relation
  // test by rescanning the relation rows for each resource: seconds for 3,000 documents.
  const stats = { writes: 0, rows: 0 }
  const wrote = <T>(result: T): T => {
    stats.writes++
    return result
  }
  async function freshStatistics (): Promise<void> {
    if (opts.analyze !== true || stats.writes <= 50 + 0.1 * stats.rows) return
    stats.writes = 0
    await db.execute(sql`ANALYZE resources, resource_relations, acl_entries`)
    const counted = await db.execute(sql`SELECT reltuples::float8 AS rows FROM pg_class WHERE relname = 'resources'`)
    stats.rows = Math.max(0, Number((counted as unknown as { rows: Array<{ rows: number }> }).rows[0]?.rows ?? 0))
  }

  /**
   * The rows to scan in id order before walking `sources`: as many as cost what a step
   * of the walk would (WINDOW_ROWS_PER_PROBE per index probe), from MIN_WINDOW up to
   * the store's window. Counting an ACL leaf's allowing entries reads at most the
   * entries that would make the window whole.
   */
  async function windowFor (sources: readonly CandidateSource[]): Promise<number> {
    if (scanWindow <= MIN_WINDOW) return scanWindow
    const cap = Math.ceil(scanWindow / WINDOW_ROWS_PER_PROBE)
    let probes = 0
    const counts: SQL[] = []
    for (const source of sources) {
      if (typeof source.probes === 'number') probes += source.probes
      else counts.push(sql`(${source.probes(cap)})`)
    }
    if (counts.length > 0 && probes < cap) {
      const result = await db.execute(sql`SELECT ${sql.join(counts, sql` + `)} AS n`)
      probes += Number((result as unknown as { rows: Array<{ n: number | string }> }).rows[0]?.n ?? cap)
    }
    return Math.min(scanWindow, Math.max(MIN_WINDOW, probes * WINDOW_ROWS_PER_PROBE))
  }

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
    if (rows[0] !== undefined) {
      // Delivered to every listener when (and only if) the transaction commits.
      await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${changePayload(tenantId, rows[0].revision)})`)
      return rows[0].revision
    }
    const current = await tx.select({ revision: tenants.revision }).from(tenants).where(eq(tenants.id, tenantId))
    if (current[0] === undefined) throw new NotFoundError('tenant', tenantId)
    throw new RevisionMismatchError(tenantId, ifRevision ?? 0, current[0].revision)
  }

  /**
   * Runs `change` in the tenant's write transaction, after the revision bump, then appends
   * the audit entry it describes (or `wopts.audited`) at the new revision: a write and its
   * entry commit or fail together.
   */
  async function write<R extends object> (tenantId: string, wopts: WriteOptions | undefined, change: (tx: Tx, revision: number) => Promise<R & { audit: AuditedChange }>): Promise<R & Written> {
    return run(() => db.transaction(async tx => {
      const revision = await bump(tx, tenantId, wopts?.ifRevision)
      const { audit, ...result } = await change(tx, revision)
      const entry = await appendAudit(tx, tenantId, revision, wopts, audit)
      return { ...(result as unknown as R), revision, entry }
    }))
  }

  async function appendAudit (tx: Tx, tenantId: string, revision: number, wopts: WriteOptions | undefined, change: AuditedChange): Promise<AuditEntry> {
    const entry = wopts?.audited ?? change
    const { entityType, entityId } = entityColumns(tenantId, entry.entity)
    const rows = await tx.insert(auditLog).values({
      tenantId,
      revision,
      keyId: wopts?.by?.keyId ?? null,
      actor: wopts?.by?.actor ?? null,
      action: entry.action,
      entityType,
      entityId,
      before: entry.before ?? null,
      after: entry.after ?? null
    }).returning({ at: auditLog.at })
    return {
      revision,
      at: rows[0]?.at ?? new Date(),
      keyId: wopts?.by?.keyId ?? null,
      actor: wopts?.by?.actor ?? null,
      action: entry.action,
      entity: entry.entity,
      entityType,
      entityId,
      before: entry.before ?? null,
      after: entry.after ?? null
    }
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

  /**
   * Recomputes `effective_project` and `acl_holder` of resource `id` (if stored) and of
   * every stored resource having it among its ancestors: those reached from it by at most
   * MAX_ANCESTOR_DEPTH `parent` links downwards. Each one's chain is walked upwards as the
   * decision walks it (at most MAX_ANCESTOR_DEPTH ancestors, stopping at a missing parent
   * or at a resource already on the chain), so a cycle or a deep tree cannot loop.
   * Runs after the write in its transaction: the tenant row lock orders it with every
   * other write of the tenant.
   */
  async function refreshDerived (tx: Tx, tenantId: string, module: string, id: string): Promise<void> {
    const hasAcl = (table: string): SQL => sql.raw(`(${table}.acl IS NOT NULL AND jsonb_typeof(${table}.acl) <> 'null')`)
    await tx.execute(sql`
      WITH RECURSIVE affected (id, path) AS (
        SELECT ${id}::text, ARRAY[${id}::text]
        UNION ALL
        SELECT c.id, a.path || c.id
        FROM affected a
        JOIN resources c ON c.tenant_id = ${tenantId} AND c.module = ${module} AND c.parent = a.id
        WHERE cardinality(a.path) <= ${MAX_ANCESTOR_DEPTH}::int AND c.id <> ALL (a.path)
      ), chain (start, node, parent, project, has_acl, depth, path) AS (
        SELECT r.id, r.id, r.parent, r.project, ${hasAcl('r')}, 0, ARRAY[r.id]
        FROM resources r
        WHERE r.tenant_id = ${tenantId} AND r.module = ${module} AND r.id IN (SELECT affected.id FROM affected)
        UNION ALL
        SELECT ch.start, p.id, p.parent, p.project, ${hasAcl('p')}, ch.depth + 1, ch.path || p.id
        FROM chain ch
        JOIN resources p ON p.tenant_id = ${tenantId} AND p.module = ${module} AND p.id = ch.parent
        WHERE ch.depth < ${MAX_ANCESTOR_DEPTH}::int AND p.id <> ALL (ch.path)
      ), derived AS (
        SELECT start,
          (array_agg(project ORDER BY depth) FILTER (WHERE project IS NOT NULL))[1] AS effective_project,
          (array_agg(node ORDER BY depth) FILTER (WHERE has_acl))[1] AS acl_holder
        FROM chain
        GROUP BY start
      )
      UPDATE resources SET effective_project = derived.effective_project, acl_holder = derived.acl_holder
      FROM derived
      WHERE resources.tenant_id = ${tenantId} AND resources.module = ${module} AND resources.id = derived.start
        AND (resources.effective_project IS DISTINCT FROM derived.effective_project OR resources.acl_holder IS DISTINCT FROM derived.acl_holder)
    `)
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
          if (inserted[0] !== undefined) {
            await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${changePayload(tenantId, inserted[0].revision)})`)
            const entry = await appendAudit(tx, tenantId, inserted[0].revision, wopts, { action: 'create', entity: { type: 'tenant', id: tenantId }, before: null, after: { name: data.name } })
            return { revision: inserted[0].revision, created: true, entry }
          }
        }
        try {
          const old = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId))
          // ifRevision 0 means "only if absent": the tenant exists, so bump reports the mismatch.
          const revision = await bump(tx, tenantId, ifRevision, data.name)
          const entry = await appendAudit(tx, tenantId, revision, wopts, { action: 'put', entity: { type: 'tenant', id: tenantId }, before: { name: old[0]?.name }, after: { name: data.name } })
          return { revision, created: false, entry }
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
        const old = await tx.select({ bundle: policies.bundle }).from(policies).where(eq(policies.tenantId, tenantId))
        await tx.insert(policies).values({ tenantId, bundle, revision })
          .onConflictDoUpdate({ target: policies.tenantId, set: { bundle, revision } })
        return { audit: { action: 'put', entity: { type: 'policy' }, before: old[0]?.bundle ?? null, after: bundle } }
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
        const old = exists ? await tx.select().from(subjects).where(and(eq(subjects.tenantId, tenantId), eq(subjects.id, subject.id))) : []
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
        const before = old[0] === undefined ? null : subjectFromRow(old[0])
        return { created: !exists, audit: { action: 'put', entity: { type: 'subject', id: subject.id }, before, after: subject } }
      })
    },

    async deleteSubject (tenantId, id, wopts) {
      return write(tenantId, wopts, async tx => {
        // subject_aliases rows go with the subject (ON DELETE CASCADE).
        const rows = await tx.delete(subjects).where(and(eq(subjects.tenantId, tenantId), eq(subjects.id, id))).returning()
        if (rows[0] === undefined) throw new NotFoundError('subject', id)
        return { audit: { action: 'delete', entity: { type: 'subject', id }, before: subjectFromRow(rows[0]), after: null } }
      })
    },

    async transferOwnership (tenantId, from, to, wopts) {
      return write(tenantId, wopts, async tx => {
        const rows = await tx.select({ id: subjects.id, owner: subjects.owner }).from(subjects)
          .where(and(eq(subjects.tenantId, tenantId), inArray(subjects.id, [from, to])))
        const source = rows.find(r => r.id === from)
        if (source === undefined) throw new NotFoundError('subject', from)
        if (rows.find(r => r.id === to) === undefined) throw new NotFoundError('subject', to)
        if (source.owner !== true) throw new ConflictError('duplicate', `subject \`${from}\` is not the owner`)
        await tx.update(subjects).set({ owner: null }).where(and(eq(subjects.tenantId, tenantId), eq(subjects.id, from)))
        await tx.update(subjects).set({ owner: true }).where(and(eq(subjects.tenantId, tenantId), eq(subjects.id, to)))
        return { audit: { action: 'put', entity: { type: 'ownership', from, to }, before: { owner: from }, after: { owner: to } } }
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
        const where = and(eq(groups.tenantId, tenantId), eq(groups.id, group.id))
        const old = await tx.select({ id: groups.id, description: groups.description }).from(groups).where(where)
        const audit: AuditedChange = { action: 'put', entity: { type: 'group', id: group.id }, before: old[0] ?? null, after: group }
        if (old[0] !== undefined) {
          await tx.update(groups).set({ description: group.description }).where(where)
          return { created: false, audit }
        }
        await tx.insert(groups).values({ tenantId, id: group.id, description: group.description })
        return { created: true, audit }
      })
    },

    async deleteGroup (tenantId, id, wopts) {
      return write(tenantId, wopts, async tx => {
        const rows = await tx.delete(groups).where(and(eq(groups.tenantId, tenantId), eq(groups.id, id))).returning({ id: groups.id, description: groups.description })
        if (rows[0] === undefined) throw new NotFoundError('group', id)
        return { audit: { action: 'delete', entity: { type: 'group', id }, before: rows[0], after: null } }
      })
    },

    async getResource (tenantId, module, id) {
      return run(async () => {
        const rows = await db.select().from(resources)
          .where(and(eq(resources.tenantId, tenantId), eq(resources.module, module), eq(resources.id, id)))
        return rows[0] === undefined ? undefined : resourceFromRow(rows[0])
      })
    },

    async getResources (tenantId, module, ids) {
      if (ids.length === 0) return []
      return run(async () => {
        const rows = await db.select().from(resources)
          .where(and(eq(resources.tenantId, tenantId), eq(resources.module, module), inArray(resources.id, [...ids])))
        const byId = new Map(rows.map(row => [row.id, resourceFromRow(row)]))
        return ids.flatMap(id => byId.get(id) ?? [])
      })
    },

    async putResource (tenantId, resource, wopts) {
      return wrote(await write(tenantId, wopts, async tx => {
        const columns = {
          project: resource.project ?? null,
          parent: resource.parent ?? null,
          relations: resource.relations,
          acl: resource.acl ?? null,
          attributes: resource.attributes ?? null
        }
        const where = and(eq(resources.tenantId, tenantId), eq(resources.module, resource.module), eq(resources.id, resource.id))
        const before = await tx.select().from(resources).where(where)
        const oldRow = before[0]
        const old = oldRow === undefined ? undefined : { project: oldRow.project, parent: oldRow.parent, hasAcl: oldRow.acl !== null }
        if (old !== undefined) {
          await tx.update(resources).set(columns).where(where)
          await tx.delete(resourceRelations).where(and(
            eq(resourceRelations.tenantId, tenantId), eq(resourceRelations.module, resource.module), eq(resourceRelations.resourceId, resource.id)))
        } else {
          await tx.insert(resources).values({ tenantId, module: resource.module, id: resource.id, ...columns })
        }
        const rows = relationRows(tenantId, resource)
        // In slices: a statement takes at most 65,535 parameters (5 per row here).
        for (let i = 0; i < rows.length; i += RELATION_ROWS_PER_INSERT) {
          await tx.insert(resourceRelations).values(rows.slice(i, i + RELATION_ROWS_PER_INSERT))
        }
        if (old?.hasAcl === true) {
          await tx.delete(aclEntries).where(and(
            eq(aclEntries.tenantId, tenantId), eq(aclEntries.module, resource.module), eq(aclEntries.holderId, resource.id)))
        }
        const entries = aclEntryRows(tenantId, resource)
        for (let i = 0; i < entries.length; i += ACL_ROWS_PER_INSERT) {
          await tx.insert(aclEntries).values(entries.slice(i, i + ACL_ROWS_PER_INSERT))
        }
        // The derived columns of the resource and its descendants read only these three
        // things of it: a change of relations or of ACL entries alone leaves them as they are.
        const unchanged = old !== undefined && old.project === columns.project && old.parent === columns.parent && old.hasAcl === (columns.acl !== null)
        if (!unchanged) await refreshDerived(tx, tenantId, resource.module, resource.id)
        const audit: AuditedChange = {
          action: 'put', entity: { type: 'resource', module: resource.module, id: resource.id }, before: oldRow === undefined ? null : resourceFromRow(oldRow), after: resource
        }
        return { created: old === undefined, audit }
      }))
    },

    async deleteResource (tenantId, module, id, wopts) {
      return wrote(await write(tenantId, wopts, async tx => {
        // resource_relations rows go with the resource (ON DELETE CASCADE).
        const rows = await tx.delete(resources)
          .where(and(eq(resources.tenantId, tenantId), eq(resources.module, module), eq(resources.id, id)))
          .returning()
        if (rows[0] === undefined) throw new NotFoundError('resource', `${module}/${id}`)
        // Its descendants' chains now stop where it was.
        await refreshDerived(tx, tenantId, module, id)
        return { audit: { action: 'delete', entity: { type: 'resource', module, id }, before: resourceFromRow(rows[0]), after: null } }
      }))
    },

    async getSearchFacts (tenantId, module) {
      return run(async () => {
        const governed = await db.select({ id: resources.id }).from(resources)
          .where(and(eq(resources.tenantId, tenantId), eq(resources.module, module), isNotNull(resources.aclHolder)))
          // Ordered by the partial index's column, so that the index answers even where the
          // planner expects many governed rows: by id, a module without any is read whole
          // (a second for a million rows beside a module with ACLs).
          .orderBy(asc(resources.aclHolder))
          .limit(1)
        if (governed.length === 0) return { hasAcls: false, aclConditions: [] }
        // The distinct conditions, one index probe each (a loose index scan on the partial
        // `when` index): many entries usually share a few conditions, or have none.
        // Both drivers answer `execute` with `{ rows }`.
        const result = await db.execute(sql`
          WITH RECURSIVE conditions ("when") AS (
            (SELECT e."when" FROM acl_entries e
              WHERE e.tenant_id = ${tenantId} AND e.module = ${module} AND e."when" IS NOT NULL
              ORDER BY e."when" LIMIT 1)
            UNION ALL
            SELECT (SELECT e."when" FROM acl_entries e
              WHERE e.tenant_id = ${tenantId} AND e.module = ${module} AND e."when" > c."when"
              ORDER BY e."when" LIMIT 1)
            FROM conditions c WHERE c."when" IS NOT NULL
          )
          SELECT "when" FROM conditions WHERE "when" IS NOT NULL`)
        return { hasAcls: true, aclConditions: (result as unknown as { rows: Array<{ when: string }> }).rows.map(r => r.when) }
      })
    },

    async listResources (tenantId, module, plan, opts) {
      const { after, limit } = opts
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
        throw new StoreError('internal', 'internal', `the page limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, not ${String(limit)}`)
      }
      if (plan.kind === 'never') return { ids: [], hasMore: false }
      return run(async () => {
        await freshStatistics()
        const mapping = storeMapping(tenantId, module, plan)
        const filter = partsToSql(planToSqlParts(plan, mapping))
        const inModule = and(eq(resources.tenantId, tenantId), eq(resources.module, module))
        const page = async (from: string | undefined, to: string | undefined, only: SQL | undefined, rows: number): Promise<string[]> =>
          (await db.select({ id: resources.id }).from(resources)
            .where(and(
              inModule,
              from === undefined ? undefined : gt(resources.id, from),
              to === undefined ? undefined : lte(resources.id, to),
              only,
              filter
            ))
            .orderBy(asc(resources.id))
            .limit(rows)).map(r => r.id)
        const done = (ids: string[]): ResourcePage => {
          const hasMore = ids.length > limit
          if (hasMore) ids.pop()
          return { ids, hasMore }
        }
        // Dense results come fastest in id order, sparse ones from the indexes of their
        // candidates (the resources a relation, a project, an id list or an ACL leaf
        // names). Which one a plan has is known only by trying: scan a window in id order
        // first (as long as a step of the walk would cost), and walk the candidates only
        // when the window did not fill the page.
        const candidates = plan.kind === 'conditional' ? candidatesOf(plan.filter, tenantId, module) : undefined
        if (candidates === undefined) return done(await page(after, undefined, undefined, limit + 1))
        const edge = await db.select({ id: resources.id }).from(resources)
          .where(and(inModule, after === undefined ? undefined : gt(resources.id, after)))
          .orderBy(asc(resources.id)).offset(await windowFor(candidates) - 1).limit(1)
        const end = edge[0]?.id
        const found = await page(after, end, undefined, limit + 1)
        if (found.length > limit || end === undefined) return done(found)
        // The candidates past the window in id order, a step at a time: the first `rows`
        // of every source, merged, are every candidate up to the last of them (a source
        // cut short stopped at or after it), so each step filters a closed range of ids.
        const union = (from: string, rows: number): SQL =>
          sql`SELECT c.id FROM (${sql.join(candidates.map(source => sql`(${source.ids(from, rows)})`), sql` UNION ALL `)}) AS c (id) ORDER BY c.id LIMIT ${rows}`
        let from = end
        for (let rows = Math.max(FIRST_CANDIDATES, limit + 1); found.length <= limit; rows = Math.min(2 * rows, MAX_CANDIDATES)) {
          const result = await db.execute(union(from, rows))
          const ids = (result as unknown as { rows: Array<{ id: string }> }).rows.map(r => r.id)
          const last = ids.at(-1)
          if (last === undefined) break
          found.push(...await page(from, last, sql`${resources.id} = ANY(${sql.param([...new Set(ids)])})`, limit + 1 - found.length))
          if (ids.length < rows) break
          from = last
        }
        return done(found)
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
        // Oldest first; without an ORDER BY a revoked (updated) row may move in the heap.
        const rows = await db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
        return rows.map(keyFromRow)
      })
    },

    async createKey (key, wopts) {
      try {
        return await write(key.tenantId, wopts, async tx => {
          await tx.insert(apiKeys).values({ tenantId: key.tenantId, id: key.id, secretHash: key.secretHash, scopes: key.scopes, actor: key.actor ?? 'optional' })
          // Never the hash: the audit log is readable with the audit scope.
          return { audit: { action: 'create', entity: { type: 'key', id: key.id }, before: null, after: { id: key.id, scopes: key.scopes, actor: key.actor ?? 'optional' } } }
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
        const where = and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId))
        const old = await tx.select({ scopes: apiKeys.scopes, revokedAt: apiKeys.revokedAt }).from(apiKeys).where(where)
        if (old[0] === undefined) throw new NotFoundError('key', keyId)
        // Revoking a revoked key keeps the first revocation time.
        const rows = await tx.update(apiKeys).set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` }).where(where)
          .returning({ revokedAt: apiKeys.revokedAt })
        const view = (revokedAt: Date | null | undefined) => ({ id: keyId, scopes: old[0]?.scopes, revokedAt: revokedAt?.toISOString() ?? null })
        return { audit: { action: 'revoke', entity: { type: 'key', id: keyId }, before: view(old[0].revokedAt), after: view(rows[0]?.revokedAt) } }
      })
    },

    async listAudit (tenantId, query) {
      const { limit } = query
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
        throw new StoreError('internal', 'internal', `the page limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, not ${String(limit)}`)
      }
      return run(async () => {
        const rows = await db.select().from(auditLog)
          .where(and(
            eq(auditLog.tenantId, tenantId),
            query.entityType === undefined ? undefined : eq(auditLog.entityType, query.entityType),
            query.entityId === undefined ? undefined : eq(auditLog.entityId, query.entityId),
            query.since === undefined ? undefined : gte(auditLog.at, query.since),
            query.until === undefined ? undefined : lt(auditLog.at, query.until),
            query.afterRevision === undefined ? undefined : gt(auditLog.revision, query.afterRevision)
          ))
          .orderBy(asc(auditLog.revision))
          .limit(limit + 1)
        const entries: AuditEntry[] = rows.slice(0, limit).map(r => ({
          revision: r.revision,
          at: r.at,
          keyId: r.keyId,
          actor: r.actor,
          action: r.action,
          entity: entityOf(r.entityType, r.entityId, r.before, r.after),
          entityType: r.entityType,
          entityId: r.entityId,
          before: r.before,
          after: r.after
        }))
        return { entries, hasMore: rows.length > limit }
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

    async watch (handlers) {
      if (closed) throw new StoreUnavailableError('the store is closed')
      return await opts.listen(handlers)
    },

    async editTenant (tenantId, edit) {
      try {
        // A retryable failure (deadlock, serialization) runs the whole edit again, reads included.
        return await run(() => db.transaction(async tx => {
          const rows = await tx.select({ revision: tenants.revision }).from(tenants).where(eq(tenants.id, tenantId)).for('update')
          if (rows[0] === undefined) throw new NotFoundError('tenant', tenantId)
          // The same store over the transaction: its writes nest as savepoints and bump the
          // row this transaction already holds.
          const scoped = createPgStore(tx as unknown as StoreDb, {
            searchScanWindow: scanWindow,
            close: async () => {},
            listen: async () => { throw new StoreError('internal', 'internal', 'an edit has no change feed') }
          })
          try {
            return await edit(scoped, rows[0].revision)
          } catch (err) {
            throw err instanceof StoreError || isRetryable(err) ? err : new EditAborted(err)
          }
        }))
      } catch (err) {
        if (err instanceof EditAborted) throw err.reason
        throw err
      }
    },

    async getRevisions (tenantIds) {
      if (tenantIds.length === 0) return new Map()
      return run(async () => {
        const rows = await db.select({ id: tenants.id, revision: tenants.revision }).from(tenants).where(inArray(tenants.id, [...tenantIds]))
        return new Map(rows.map(r => [r.id, r.revision]))
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
