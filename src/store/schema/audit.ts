import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import { tenants } from './tenants.js'

/**
 * The audit log: one row per write, appended in the write's own transaction, keyed by
 * the revision the write produced (every write bumps the revision once, so the key is
 * unique and a failed write leaves no row). Nothing updates or deletes a row; no API
 * route can. `before` and `after` are the entity as it was and as it became (NULL:
 * absent); key hashes and secrets never appear in them.
 */
export const auditLog = pgTable('audit_log', {
  tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  revision: integer().notNull(),
  at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** The key that made the change (`root` for the root key); NULL when the store was written directly. */
  keyId: text(),
  /** The acting user named by the caller (`Gatehouse-Actor`), if any. */
  actor: text(),
  action: text().$type<'put' | 'delete' | 'create' | 'revoke'>().notNull(),
  entityType: text().notNull(),
  entityId: text().notNull(),
  before: jsonb(),
  after: jsonb()
}, t => [
  primaryKey({ columns: [t.tenantId, t.revision] }),
  index('audit_log_tenant_id_entity_idx').on(t.tenantId, t.entityType, t.entityId, t.revision),
  index('audit_log_tenant_id_at_idx').on(t.tenantId, t.at)
])
