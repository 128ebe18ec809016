import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/**
 * One row per customer company. `revision` is bumped by every write to anything the
 * tenant owns, in the write's own transaction: the `UPDATE` of this row is also the lock
 * that serializes a tenant's writers (see `pg-store.ts`).
 */
export const tenants = pgTable('tenants', {
  id: text().primaryKey(),
  name: text().notNull(),
  revision: bigint({ mode: 'number' }).notNull().default(1),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
