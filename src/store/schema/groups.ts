import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { tenants } from './tenants.js'

/** Groups (crews, teams). Subjects name their groups; membership lives on the subject. */
export const groups = pgTable('groups', {
  tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  id: text().notNull(),
  description: text().notNull().default('')
}, t => [
  primaryKey({ columns: [t.tenantId, t.id] })
])
