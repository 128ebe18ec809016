/**
 * How large a bundle gatehouse accepts. A bundle is validated and compiled on the event
 * loop that answers every tenant's decisions, at about 10 µs per grant or module: a
 * 600 KB bundle of 3,000 modules held it for 120 to 320 ms. The limits keep that cost to
 * a few tens of milliseconds at worst, and they sit far above the shipped templates (at
 * most 17 modules, 13 roles, 14 actions and 12 fields in a module, 60 grants, 566 values):
 * a bundle that reaches one is a mistake or an attack, not a tenant.
 *
 * `bundleLimitIssues` is checked before `compileBundle` and costs at most one step per
 * value up to `BUNDLE_LIMITS.values`: it stops counting there.
 */
import { child } from './issues.js'
import { isRecord } from './own.js'

export const BUNDLE_LIMITS = {
  /** JSON values in the whole bundle: every object, list, string, number and boolean. */
  values: 10_000,
  modules: 300,
  roles: 200,
  flags: 100,
  actionsPerModule: 64,
  fieldsPerModule: 128,
  relationsPerModule: 32,
  /** Role grants, summed over the roles (one per module a role names). */
  grants: 2_000
} as const

/** The codes of limit problems. Stable wire values: never rename one, add a new one. */
export const BUNDLE_LIMIT_CODES = {
  too_many_values: 'the bundle holds more JSON values than `BUNDLE_LIMITS.values`',
  too_many_modules: 'the bundle declares more modules than `BUNDLE_LIMITS.modules`',
  too_many_roles: 'the bundle declares more roles than `BUNDLE_LIMITS.roles`',
  too_many_flags: 'the bundle declares more flags than `BUNDLE_LIMITS.flags`',
  too_many_actions: 'a module declares more actions than `BUNDLE_LIMITS.actionsPerModule`',
  too_many_fields: 'a module declares more fields than `BUNDLE_LIMITS.fieldsPerModule`',
  too_many_relations: 'a module declares more relations than `BUNDLE_LIMITS.relationsPerModule`',
  too_many_grants: 'the roles grant on more modules in all than `BUNDLE_LIMITS.grants`'
} as const

export type BundleLimitCode = keyof typeof BUNDLE_LIMIT_CODES

/** A limit a bundle goes past: where (a JSON pointer), which, and a message naming the limit. */
export interface BundleLimitIssue {
  path: string
  code: BundleLimitCode
  message: string
}

/**
 * Every limit `input` goes past; empty when it is within all of them (it may still be an
 * invalid bundle: shapes are `checkBundle`'s business, and what is not an object here is
 * not counted). Past `BUNDLE_LIMITS.values`, that is the only issue: nothing else is read.
 */
export function bundleLimitIssues (input: unknown): BundleLimitIssue[] {
  if (!withinValues(input, BUNDLE_LIMITS.values)) {
    return [{ path: '', code: 'too_many_values', message: `the bundle holds more than ${BUNDLE_LIMITS.values} json values (objects, lists, strings, numbers, booleans), the most a bundle may hold` }]
  }
  const issues: BundleLimitIssue[] = []
  if (!isRecord(input)) return issues
  const over = (path: string, code: BundleLimitCode, count: number, limit: number, what: string): void => {
    if (count > limit) issues.push({ path, code, message: `${what} ${count}, more than the ${limit} a bundle may hold` })
  }
  over('/flags', 'too_many_flags', keyCount(input.flags), BUNDLE_LIMITS.flags, 'flags:')
  over('/modules', 'too_many_modules', keyCount(input.modules), BUNDLE_LIMITS.modules, 'modules:')
  if (isRecord(input.modules)) {
    for (const [name, def] of Object.entries(input.modules)) {
      if (!isRecord(def)) continue
      const at = child('/modules', name)
      over(`${at}/actions`, 'too_many_actions', keyCount(def.actions), BUNDLE_LIMITS.actionsPerModule, `actions of module \`${name}\`:`)
      over(`${at}/fields`, 'too_many_fields', keyCount(def.fields), BUNDLE_LIMITS.fieldsPerModule, `fields of module \`${name}\`:`)
      over(`${at}/relations`, 'too_many_relations', Array.isArray(def.relations) ? def.relations.length : 0, BUNDLE_LIMITS.relationsPerModule, `relations of module \`${name}\`:`)
    }
  }
  over('/roles', 'too_many_roles', keyCount(input.roles), BUNDLE_LIMITS.roles, 'roles:')
  let grants = 0
  if (isRecord(input.roles)) for (const def of Object.values(input.roles)) if (isRecord(def)) grants += keyCount(def.modules)
  over('/roles', 'too_many_grants', grants, BUNDLE_LIMITS.grants, 'role grants (modules named by a role, summed over the roles):')
  return issues
}

/**
 * Whether `value` holds at most `limit` JSON values. Every value seen is counted once
 * when it is first reached, so that neither the count nor the list of values still to
 * visit grows past `limit` whatever the shape (one object of a million keys included).
 */
export function withinValues (value: unknown, limit: number): boolean {
  const pending: unknown[] = [value]
  let seen = 1
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next !== 'object' || next === null) continue
    // JSON values only: own enumerable keys, the prototype adds none.
    for (const key in next) {
      if (++seen > limit) return false
      pending.push((next as Record<string, unknown>)[key])
    }
  }
  return true
}

function keyCount (value: unknown): number {
  return isRecord(value) ? Object.keys(value).length : 0
}
