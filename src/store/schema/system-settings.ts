import { pgTable, text } from 'drizzle-orm/pg-core'

/** Service-wide settings, outside every tenant (the root key hash). */
export const systemSettings = pgTable('system_settings', {
  key: text().primaryKey(),
  value: text().notNull()
})

/** The keys of `system_settings`. */
export const SETTING_ROOT_KEY_HASH = 'root_key_hash'
