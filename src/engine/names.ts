/**
 * The one place that says what a name in a policy looks like. Flags, modules, actions,
 * relations, fields and roles are all names. AuthZEN interop needs action names such
 * as `GET` and `can_read_user` and modules such as `route`, hence the wide alphabet.
 */

/** The name pattern as a string, for JSON Schema `pattern` keywords. */
export const NAME_PATTERN = '^[A-Za-z0-9_.:\\-/{}]+$'

/** The name pattern as a regular expression. */
export const NAME_REGEXP = new RegExp(NAME_PATTERN, 'u')

/**
 * Names that match the pattern but may not be used: `__proto__` would set an object's
 * prototype instead of naming a property.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__'])

/**
 * `NAME_PATTERN` without the reserved names: what a bundle's schema says a name is (JSON
 * Schema has no "and not" for a pattern but the lookahead).
 */
export const BUNDLE_NAME_PATTERN = `^(?!(?:${[...RESERVED_NAMES].join('|')})$)${NAME_PATTERN.slice(1)}`

/** Whether `value` is a usable name (a non-empty string matching the pattern, not reserved). */
export function isName (value: unknown): value is string {
  return typeof value === 'string' && NAME_REGEXP.test(value) && !RESERVED_NAMES.has(value)
}
