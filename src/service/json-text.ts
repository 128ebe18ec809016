/**
 * Small helpers for reading untrusted JSON documents (suites, draft bundles) and naming
 * their problems: the shape tests, JSON pointers, and values as messages show them.
 */

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `path` extended by one JSON pointer reference token, escaped (RFC 6901 §3). */
export function child (path: string, token: string | number): string {
  return `${path}/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`
}

/** The JSON type of a value, as messages name it: `a string`, `a list`, `null`. */
export function jsonType (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  switch (typeof value) {
    case 'object': return 'an object'
    case 'string': return 'a string'
    case 'number': return 'a number'
    case 'boolean': return 'a boolean'
    default: return typeof value
  }
}

/** A value in a message: in backticks, cut to a readable length; strings without quotes. */
export function show (value: unknown): string {
  const text = typeof value === 'string' ? value : String(JSON.stringify(value))
  return `\`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``
}
