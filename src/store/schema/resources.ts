import { index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import type { AclEntry } from '../../engine/model.js'
import { tenants } from './tenants.js'

/**
 * Stored resources, so that "list what I may see" can enumerate ids. `parent` names a
 * resource of the same module and is not a foreign key: a parent may be stored later,
 * or never. `acl` NULL means no ACL; `[]` is an ACL that allows nothing, so the two must
 * never be confused.
 */
export const resources = pgTable('resources', {
  tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  module: text().notNull(),
  id: text().notNull(),
  project: text(),
  parent: text(),
  relations: jsonb().$type<Record<string, string[]>>().notNull(),
  acl: jsonb().$type<AclEntry[]>()
}, t => [
  primaryKey({ columns: [t.tenantId, t.module, t.id] }),
  index('resources_tenant_id_module_project_idx').on(t.tenantId, t.module, t.project),
  index('resources_tenant_id_module_parent_idx').on(t.tenantId, t.module, t.parent)
])
