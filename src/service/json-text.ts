/**
 * Small helpers for reading untrusted JSON documents (suites, draft bundles) and naming
 * their problems: the engine's own (the shape test, JSON pointers, values as messages
 * show them), and the JSON type as these documents' authors read it.
 */
import { jsonType as engineJsonType } from '../engine/index.js'

export { child, isRecord, show } from '../engine/index.js'

/** The JSON type of a value, as messages name it: `a string`, `a list` (YAML authors write lists), `null`. */
export function jsonType (value: unknown): string {
  return Array.isArray(value) ? 'a list' : engineJsonType(value)
}

/** Whether JSON keeps the value as it is: a structured clone also keeps NaN, the infinities and `-0` (YAML's `.nan`, `.inf`, `-0`, a CEL literal). */
export function jsonSafe (value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object' || value === null) return true
  return Object.values(value).every(jsonSafe)
}
