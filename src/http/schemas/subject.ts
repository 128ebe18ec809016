/**
 * The admin API's subject schemas, derived from the engine's subject document
 * (`subjectJsonSchema`, src/engine/subject-format.ts; ADR 0007) rather than written again:
 * a property added to the document is accepted, bounded, serialized and documented here
 * with no edit. What HTTP adds is transport bounds, so that a request cannot make the
 * service hold or check an unbounded document (the engine checks structure, not size).
 * They go by the kind of value, wherever it stands in the document:
 * - every list holds at most `MAX_ENTRIES` entries;
 * - a string is a name (an id, a role, an alias, an action, a relation, ...) of
 *   `NAME_BOUNDS`, unless it is a condition (a value of a `when` map: 1 to `MAX_TEXT`
 *   characters; the map holds at most `MAX_ENTRIES` actions named as names are) or
 *   attribute data (under `attributes`: at most `MAX_TEXT`, may be empty).
 * The body of a write differs from the document in one more way: `id` and `roles` are
 * optional (the id is the path's, which a body `id` must equal; `roles` defaults to none).
 */
import { subjectJsonSchema } from '../../service/index.js'

type Schema = Readonly<Record<string, unknown>>

/** The length of a name: non-empty, and as long as an id of the path (`clientIdSchema`). */
export const NAME_BOUNDS = { minLength: 1, maxLength: 256 } as const
/** The longest condition or attribute text. */
export const MAX_TEXT = 10000
/** The most entries of a list, and of actions in a `when` map. */
export const MAX_ENTRIES = 1000

/** What the strings below a node are: names, the conditions of a `when` map (`conditions` for the map itself), or attribute data. */
type Kind = 'name' | 'conditions' | 'condition' | 'text'

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `node` (a documented JSON Schema node holding values of `kind`) with the transport bounds of its values. */
function bounded (node: Schema, kind: Kind): Schema {
  const out: Record<string, unknown> = { ...node }
  if (isSchema(node.properties)) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([key, property]) => [
      key, bounded(property as Schema, key === 'attributes' ? 'text' : key === 'when' ? 'conditions' : kind)
    ]))
  }
  if (isSchema(node.additionalProperties)) out.additionalProperties = bounded(node.additionalProperties, kind === 'conditions' ? 'condition' : kind)
  if (isSchema(node.items)) out.items = bounded(node.items, kind)
  if (Array.isArray(node.anyOf)) out.anyOf = node.anyOf.map(variant => bounded(variant as Schema, kind))
  if (node.type === 'array') out.maxItems = MAX_ENTRIES
  // The document's enums of names (`status`, `level`) leave their type implied; OpenAPI tools show it.
  if (node.type === undefined && Array.isArray(node.enum) && node.enum.every(v => typeof v === 'string')) out.type = 'string'
  if (node.type === 'object' && kind === 'conditions') Object.assign(out, { maxProperties: MAX_ENTRIES, propertyNames: NAME_BOUNDS })
  if (node.type === 'string') {
    if (kind === 'text') out.maxLength = MAX_TEXT
    else if (kind === 'condition') Object.assign(out, { minLength: 1, maxLength: MAX_TEXT })
    else Object.assign(out, NAME_BOUNDS)
  }
  return out
}

const { title: _title, ...document } = bounded(subjectJsonSchema, 'name')
const { required: _required, ...open } = document
const properties = document.properties as Record<string, Schema>

/** A subject as the API returns it: the document, bounded. */
export const subjectResponseSchema: Schema = document

/** The body of `PUT .../subjects/{id}`: the document, bounded, its `id` and `roles` optional. */
export const subjectBodySchema: Schema = {
  ...open,
  properties: { ...properties, id: { ...properties.id, description: 'optional; must equal the id of the path' } }
}

/** A subject's `overrides`, read and replaced on their own (`.../subjects/{id}/overrides`). */
export const overridesSchema: Schema = properties.overrides as Schema
