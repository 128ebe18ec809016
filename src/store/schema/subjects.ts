import { boolean, foreignKey, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import type { AttributeValue, Overrides, SubjectStatus } from '../../engine/model.js'
import { tenants } from './tenants.js'

/**
 * Subjects (users). A NULL column means the field was not given, so that a subject
 * reads back exactly as it was written; the engine applies the defaults.
 */
export const subjects = pgTable('subjects', {
  tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  id: text().notNull(),
  roles: text().array().notNull(),
  /** As given; `subject_aliases` holds the same names, deduplicated, for lookups and uniqueness. */
  aliases: text().array(),
  projects: jsonb().$type<Record<string, string[]>>(),
  groups: text().array(),
  status: text().$type<SubjectStatus>(),
  login: boolean(),
  owner: boolean(),
  overrides: jsonb().$type<Overrides>(),
  /** Values of the policy's `subject_attributes` (approval limit, ...); NULL: not given. */
  attributes: jsonb().$type<Record<string, AttributeValue>>()
}, t => [
  primaryKey({ columns: [t.tenantId, t.id] })
])

/**
 * Other names of a subject. The primary key makes an alias unique within a tenant; that
 * an alias never equals another subject's id (and a subject's id never equals another
 * subject's alias) is checked in the write transaction, which the tenant row lock
 * serializes. Rows go with their subject (and so with their tenant).
 */
export const subjectAliases = pgTable('subject_aliases', {
  tenantId: text().notNull(),
  alias: text().notNull(),
  subjectId: text().notNull()
}, t => [
  primaryKey({ columns: [t.tenantId, t.alias] }),
  index('subject_aliases_tenant_id_subject_id_idx').on(t.tenantId, t.subjectId),
  foreignKey({ columns: [t.tenantId, t.subjectId], foreignColumns: [subjects.tenantId, subjects.id] }).onDelete('cascade')
])
