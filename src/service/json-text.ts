/**
 * Small helpers for reading untrusted JSON documents (suites, draft bundles) and naming
 * their problems: the engine's own (the shape test, JSON pointers, values as messages
 * show them), and the JSON type as these documents' authors read it.
 */
import { jsonType as engineJsonType } from '../engine/index.js'

export { child, isRecord, jsonSafe, show } from '../engine/index.js'

/** The JSON type of a value, as messages name it: `a string`, `a list` (YAML authors write lists), `null`. */
export function jsonType (value: unknown): string {
  return Array.isArray(value) ? 'a list' : engineJsonType(value)
}
