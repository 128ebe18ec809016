import { pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import type { ActorMode, KeyScope } from '../store.js'
import { tenants } from './tenants.js'

/** Tenant API keys. Only a hash of the secret is stored. */
export const apiKeys = pgTable('api_keys', {
  tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  id: text().notNull(),
  secretHash: text().notNull(),
  scopes: text().array().$type<KeyScope[]>().notNull(),
  /** `required`: every write with this key must name its acting user (`Gatehouse-Actor`). */
  actor: text().$type<ActorMode>().notNull().default('optional'),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp({ withTimezone: true })
}, t => [
  primaryKey({ columns: [t.tenantId, t.id] }),
  // The one index that does not start with tenant_id, on purpose: a bearer token names
  // its key id, not its tenant, so authentication looks a key up by id alone, and a key
  // id must therefore be unique across tenants. (On a tenant-sharded Postgres such as
  // Citus, a unique index without the distribution column is impossible: api_keys would
  // be a reference table there, which suits a small, rarely written table.)
  uniqueIndex('api_keys_id_idx').on(t.id)
])
