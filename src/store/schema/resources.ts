import { sql } from 'drizzle-orm'
import { foreignKey, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import type { AclEntry, AttributeValue } from '../../engine/model.js'
import { tenants } from './tenants.js'

/**
 * Stored resources, so that "list what I may see" can enumerate ids. `parent` names a
 * resource of the same module and is not a foreign key: a parent may be stored later,
 * or never. `acl` NULL means no ACL; `[]` is an ACL that allows nothing, so the two must
 * never be confused.
 *
 * `effective_project` and `acl_holder` are derived, for search plans (ADR 0002): the
 * resource's own `project`, else its nearest ancestor's through `parent`; and the id of
 * the resource whose ACL governs it (itself or its nearest ancestor with an `acl`), NULL
 * when none does. Ancestors are followed as the decision reads them: at most
 * MAX_ANCESTOR_DEPTH links, stopping at a missing parent or a cycle. `pg-store.ts`
 * recomputes them for a resource and its descendants on every write that can change them.
 */
export const resources = pgTable('resources', {
  tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  module: text().notNull(),
  id: text().notNull(),
  project: text(),
  parent: text(),
  relations: jsonb().$type<Record<string, string[]>>().notNull(),
  acl: jsonb().$type<AclEntry[]>(),
  /**
   * The module's declared attributes (status, amount, ...), name to value; NULL when the
   * resource has none. Searches read it through `jsonb_typeof` guards (plan-sql.ts), so a
   * value of another type is simply not matched.
   */
  attributes: jsonb().$type<Record<string, AttributeValue>>(),
  effectiveProject: text(),
  aclHolder: text()
}, t => [
  primaryKey({ columns: [t.tenantId, t.module, t.id] }),
  index('resources_tenant_id_module_project_idx').on(t.tenantId, t.module, t.project),
  index('resources_tenant_id_module_parent_idx').on(t.tenantId, t.module, t.parent),
  index('resources_tenant_id_module_effective_project_idx').on(t.tenantId, t.module, t.effectiveProject, t.id),
  // Partial: ungoverned resources are never looked up by holder. With `id`, so that the
  // resources an ACL governs come in id order: a search's candidate walk reads only the
  // first few of each allowing holder's (pg-store.ts, `candidatesOf`).
  index('resources_tenant_id_module_acl_holder_id_idx').on(t.tenantId, t.module, t.aclHolder, t.id).where(sql`acl_holder is not null`),
  // Attribute conditions (issue 14): `attributes @> '{"status":"locked"}'`, the form
  // plan-sql.ts gives equality, `in` and list `contains`, is a lookup here instead of a
  // read of every resource's jsonb. jsonb_path_ops: smaller and faster than jsonb_ops for
  // containment, the only operator the plans use on it (`?`, for `has()`, it does not
  // serve). Not led by tenant_id (the one exception to that rule, schema.test.ts): a GIN
  // index has no column order to lead with, and a btree column in it takes the btree_gin
  // extension; tenant and module are checked on the rows it finds. `fastupdate` off: a
  // write adds its entries to the index itself rather than to a pending list that every
  // search then reads whole until a vacuum merges it, and PGlite runs no autovacuum (the
  // planner there priced the list above reading the module's rows).
  index('resources_attributes_idx').using('gin', t.attributes.op('jsonb_path_ops')).with({ fastupdate: false })
])

/**
 * Relation values of stored resources, one row per (relation, value, resource): the
 * index search plans use for "relation R holds one of these values" (ADR 0002).
 *
 * A table rather than a jsonb or text[] column with a GIN index because: its primary key
 * is a btree led by tenant_id, like every key here (DESIGN §4, Citus-ready), whereas a
 * GIN index cannot lead with tenant_id without the btree_gin extension; a lookup is an
 * index-only range scan per (relation, value) that yields resource ids the planner can
 * semi-join into `resources` in id order for keyset paging; and a caller's own schema
 * usually has the same shape (a join table of assignees), so the plan's SQL is tested
 * on the form it will meet. Rows are derived from `resources.relations` (the document
 * stays the source of truth) and go with their resource (ON DELETE CASCADE).
 */
export const resourceRelations = pgTable('resource_relations', {
  tenantId: text().notNull(),
  module: text().notNull(),
  relation: text().notNull(),
  value: text().notNull(),
  resourceId: text().notNull()
}, t => [
  // Named: the default names are longer than PostgreSQL's 63-character limit.
  primaryKey({ name: 'resource_relations_pk', columns: [t.tenantId, t.module, t.relation, t.value, t.resourceId] }),
  index('resource_relations_tenant_id_module_resource_id_idx').on(t.tenantId, t.module, t.resourceId),
  foreignKey({ name: 'resource_relations_resource_fk', columns: [t.tenantId, t.module, t.resourceId], foreignColumns: [resources.tenantId, resources.module, resources.id] }).onDelete('cascade')
])

/**
 * The entries of stored resources' ACLs, one row per (entry, effect, action), keyed for
 * search (ADR 0002, "ACL leaves"): a plan's `acl_allows` leaf is "the governing ACL
 * (`resources.acl_holder`) has a row naming one of the subject's names for the action
 * with effect `allow`, and none with `deny`", two index range scans on
 * (tenant, module, who, action, effect) instead of a read of every ACL.
 *
 * Derived from `resources.acl`, which stays the source of truth (the API reads it): the
 * resource's rows are rewritten in the transaction that writes it and go with it (ON
 * DELETE CASCADE). `position` is the entry's index in the ACL. Only entries the engine
 * can match are written: a string `who`, string actions, a `when` that is a string (an
 * entry whose `when` is not one never applies).
 */
export const aclEntries = pgTable('acl_entries', {
  tenantId: text().notNull(),
  module: text().notNull(),
  holderId: text().notNull(),
  position: integer().notNull(),
  effect: text().$type<'allow' | 'deny'>().notNull(),
  action: text().notNull(),
  who: text().notNull(),
  /** The entry's condition (CEL, on subject, action and context); NULL: none. */
  when: text()
}, t => [
  primaryKey({ name: 'acl_entries_pk', columns: [t.tenantId, t.module, t.holderId, t.position, t.effect, t.action] }),
  index('acl_entries_tenant_id_module_who_idx').on(t.tenantId, t.module, t.who, t.action, t.effect, t.holderId, t.when),
  // Partial: for the distinct conditions of a module's entries, which most modules lack.
  index('acl_entries_tenant_id_module_when_idx').on(t.tenantId, t.module, t.when).where(sql`"when" is not null`),
  foreignKey({ name: 'acl_entries_resource_fk', columns: [t.tenantId, t.module, t.holderId], foreignColumns: [resources.tenantId, resources.module, resources.id] }).onDelete('cascade')
])
