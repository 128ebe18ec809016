import { bigint, json, pgTable, text } from 'drizzle-orm/pg-core'
import type { Bundle } from '../../engine/model.js'
import { tenants } from './tenants.js'

/**
 * The tenant's policy bundle, replaced as a whole. `bundle` is `json`, not `jsonb`, on
 * purpose: the bundle is only ever read whole, and `json` keeps the author's key order
 * (modules, actions, roles), so that an exported bundle diffs cleanly against the one in
 * git. `jsonb` would reorder keys by length.
 */
export const policies = pgTable('policies', {
  tenantId: text().primaryKey().references(() => tenants.id, { onDelete: 'cascade' }),
  bundle: json().$type<Bundle>().notNull(),
  /** The tenant revision at which this bundle was written. */
  revision: bigint({ mode: 'number' }).notNull()
})
