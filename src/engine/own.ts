/**
 * Own-property access for records that come from users. `record[key]` would read
 * `Object.prototype` members for keys such as `constructor`; these helpers never do.
 */

/** The value of `record`'s own property `key`, else `undefined`. */
export function getOwn<T> (record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  if (record === undefined || record === null || !Object.hasOwn(record, key)) return undefined
  return record[key]
}

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `value` frozen, and every object and array inside it: shared data nobody may change. */
export function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

/** A frozen empty list, shared: what `listOf` reads a missing list as. */
export const NO_ITEMS: readonly never[] = Object.freeze([])

/** `value` when it is an array, else an empty (shared, frozen) array: reads optional lists defensively. */
export function listOf<T> (value: readonly T[] | undefined): readonly T[] {
  return Array.isArray(value) ? value : NO_ITEMS
}

/** Whether JSON keeps `value` as it is: a structured clone also keeps NaN, the infinities and `-0` (YAML's `.nan`, `.inf`, `-0`; a CEL literal). */
export function jsonSafe (value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object' || value === null) return true
  return Object.values(value).every(jsonSafe)
}
